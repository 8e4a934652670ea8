"""Entra ID sign-in for xlwings Server: its own check, wrapped by `xl_addin.server.signin`.

xlwings Server imports `auth.entraid` from the project folder when it exists and calls its
`validate_token`; this module shadows the package's, so it must provide it.
"""

from xl_addin.server.signin import validate_token

__all__ = ["validate_token"]
