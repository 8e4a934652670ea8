"""Errors a user can act on: Swedish, naming the cell or argument and the text that was typed."""


# How a cell shows an error in Excel (a VP function's readable reason instead of a traceback).
CELL_ERROR_PREFIX = "#VP-FEL: "


class VPError(Exception):
    """Base of every error the VP engine reports to a person."""


class VPInputError(VPError, ValueError):
    """A value that cannot be read or used as typed.

    `where` names the place (an argument such as "utfall", or "Indikatorer!F7"), `text` is what was
    typed, `hint` says what to write instead.
    """

    def __init__(self, where, text, problem, hint=""):
        self.where = where
        self.text = text
        self.problem = problem
        self.hint = hint
        shown = "" if text is None else f" '{text}'"
        message = f"{where}:{shown} {problem}"
        if hint:
            message += f" {hint}"
        super().__init__(message)


class RulebookError(VPError):
    """The rulebook file is missing a parameter, has a wrong one, or disagrees with the engine."""


class EngineError(VPError):
    """The rules engine failed (an action raised, no rule matched): a fault in the rulebook or code."""
