"""The built-in credential providers, installed as ``alphacast.providers``.

Each module registers itself through the ``alphacast`` entry-point group, exactly
as a third-party plugin does: the core imports none of them by name.
"""
