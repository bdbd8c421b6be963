"""The chat's limits on what a client may send (docs/chat-protocol.md)."""

# Larger frames get an `error` event from the consumer and the socket stays open.
MAX_FRAME_BYTES = 32 * 1024
# The server itself closes a socket (code 1009) that sends a frame over this: a frame this size
# is never a chat message, so it is not even read into memory.
SERVER_MAX_FRAME_BYTES = 64 * 1024
MAX_BODY_CHARACTERS = 4000
RATE_LIMIT_MESSAGES = 10
RATE_LIMIT_SECONDS = 5.0
