"""The VP tab's buttons as xlwings Server custom scripts: one per ribbon action, and the task pane's.

Built in `xl_addin.server.adapters`. xlwings Server imports this folder as the top-level module
`custom_scripts` (XLWINGS_PROJECT_DIR).
"""

from xl_addin.server.adapters import script_adapters

_SCRIPTS = script_adapters(__name__)
globals().update(_SCRIPTS)
__all__ = list(_SCRIPTS)
