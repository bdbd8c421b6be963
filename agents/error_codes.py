"""The codes of the agents' refusals (`DeskError`); the agent socket sends them as they are."""

from enum import StrEnum


class AgentErrorCode(StrEnum):
    INVALID = "invalid"
    NOT_AN_AGENT = "not_an_agent"
