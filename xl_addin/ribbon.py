"""Ribbon actions of the VP tab: one tag per button, dispatched from the add-in's single VBA callback.

Placeholder: the real actions are wired up in the add-in issue; the tags below are the contract
between customUI.xml (control tag="...") and Python.
"""

ACTIONS = {
    "uppdatera": None,    # Uppdatera: refresh overview, findings, log
    "kontrollera": None,  # Kontrollera: findings only
    "forklara": None,     # Förklara: explanation of the selected cell
    "rakna_om": None,     # Räkna om VP-formler: full recalculation
    "regelbok": None,     # Regelbok: show the rulebook in force
}


def run(tag):
    """Entry point called from VBA: RunPython "import xl_addin.ribbon as r; r.run('<tag>')"."""
    action = ACTIONS.get(tag)
    if action is None:
        raise KeyError(f"Okänd knapp i VP-fliken: {tag!r}")
    return action()
