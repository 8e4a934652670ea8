"""The Entra ID key set for xlwings Server without internet (VP_AUTH_JWKS_FILE or VP_AUTH_JWKS_URL).

xlwings Server calls `get_jwks_json()`; None means "fetch Microsoft's over the internet".
"""


async def get_jwks_json():
    from xl_addin.server import signin

    return await signin.jwks_json()
