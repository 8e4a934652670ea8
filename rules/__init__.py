"""The VP 2025 rules: reading values (R1), grading (R2), goals (R3, R4), budget (R5–R11), trends (R12)."""


def clear_caches():
    """Forget parsed texts, decisions and engines, e.g. after the rulebook file was edited."""
    from . import engine, indicator, rulebook, text, values

    rulebook._load.cache_clear()
    values.clear_caches()
    indicator._COMPARED.clear()
    indicator._VILLKOR.clear()
    text._COMPILED.clear()
    engine.clear()
