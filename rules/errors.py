"""Errors a user can act on: Swedish, naming the cell or argument and the text that was typed."""

# How a cell shows an error in Excel (a VP function's readable reason instead of a traceback).
CELL_ERROR_PREFIX = "#VP-FEL: "

# At most this many characters of what was typed are quoted in a message (a cell may hold 32 767).
QUOTE_LENGTH = 60


def quote(text, limit=QUOTE_LENGTH):
    """What was typed, shortened for a message: a person must recognise it, not read all of it."""
    text = str(text).replace("\r", " ").replace("\n", " ")
    if len(text) > limit:
        return f"{text[:limit]}… ({len(text)} tecken)"
    return text


class VPError(Exception):
    """Base of every error the VP engine reports to a person."""


class VPInputError(VPError, ValueError):
    """A value that cannot be read or used as typed.

    `where` names the place (an argument such as "utfall", or a `records.Place` such as
    Indikatorer!F7), `text` is what was typed (quoted, shortened), `hint` says what to write instead,
    `rule` is the id of the rule that refused it (R1 for reading).
    """

    def __init__(self, where, text, problem, hint="", rule="R1", message=None):
        self.where = where
        self.text = text
        self.problem = problem
        self.hint = hint
        self.rule = rule
        if message is None:  # a declared check's sentence (rules.checks) is given whole
            shown = "" if text is None else f" '{quote(text)}'"
            message = f"{where}:{shown} {problem}"
            if hint:
                message += f" {hint}"
        super().__init__(message)


class RulebookError(VPError):
    """The rulebook file is missing a parameter, has a wrong one, or disagrees with the engine."""


class EngineError(VPError):
    """The rules engine failed (an action raised, no rule matched): a fault in the rulebook or code."""
