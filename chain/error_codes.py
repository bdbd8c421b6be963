from enum import StrEnum


class ChainErrorCode(StrEnum):
    """Why a transaction status could not be given (chain.views; the API's `code`)."""

    OFF = "chain_off"
    INVALID_HASH = "invalid_hash"
    INVALID_REQUEST = "invalid_request"
