"""What the organisation tree announces to the apps above it.

An app never writes another app's rows: the tree says what happened, and each app that copies
a unit's path or points at a unit keeps its own rows in step, with its own audit (``members``
connects in ``MembersConfig.ready``). Every signal is sent inside the service's transaction,
so a receiver's failure undoes the change to the tree too. Each carries ``actor`` (who acted,
``None`` for the system) and ``reason`` (a note for the receivers' audit rows).
"""

from __future__ import annotations

from django.dispatch import Signal

# The subtree of an organisation moved: every path that started with ``old_path`` now starts
# with ``new_path``. Sent with ``old_path``, ``new_path``, ``actor``, ``reason``.
subtree_moved = Signal()

# ``source`` was merged into ``target`` and is abolished; what was registered at ``source``, or
# took part there, belongs to ``target`` now. Its sub-units move under ``target`` afterwards,
# each announced by ``subtree_moved``. Sent with ``source``, ``target``, ``actor``, ``reason``.
organizations_merged = Signal()

# ``org`` was abolished (it held no members' relationships and no active sub-units); what
# took part there takes part nowhere until placed again. Sent with ``org``, ``actor``,
# ``reason``.
organization_abolished = Signal()
