"""The VP functions in Excel as xlwings Server custom functions: =VP.INDICATORSCORE(...), ...

One per function of `xl_addin.udfs.CATALOGUE`, built in `xl_addin.server.adapters`. xlwings Server
imports this folder as the top-level module `custom_functions` (XLWINGS_PROJECT_DIR).
"""

from xl_addin.server.adapters import function_adapters

_FUNCTIONS = function_adapters(__name__)
globals().update(_FUNCTIONS)
__all__ = list(_FUNCTIONS)
