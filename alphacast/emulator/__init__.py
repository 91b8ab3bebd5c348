"""A local Alphacast-compatible API emulator, for tests, demos and offline work.

``Emulator`` serves the API host and the workspace host (search) on two loopback
listeners, with accounts given as API keys, data in SQLite, optional TLS, and fault
injection. ``python -m alphacast.emulator`` (or ``alphacast emulator``) runs it from a
shell; see :mod:`alphacast.emulator.cli`.

Series model: a series is one value column of a dataset for one combination of entity
values (for example ``gdp`` for ``country = Argentina``). After each upload every
(value column, entity combination) in the dataset gets an id, in ascending order, that
stays the same for the dataset's life; ``GET /series/{id}`` gives ``id``,
``datasetId``, ``repositoryId``, ``name``, ``column``, ``entities``, ``firstDate``,
``lastDate`` and ``numberOfValues``; ``/series/{id}/data`` gives the date, the entity
columns and that column, for the rows where it has a value.

Where the emulator knowingly differs from the real service:

- Data lives in one SQLite file (a temporary one unless ``db`` is given), not the
  service's database; nothing is shared with api.alphacast.io.
- Accounts are only API keys with a name: no users, teams, organisations or
  per-repository sharing. A repository is readable by its owner, or by everyone when
  Public; only its owner may write to it or its datasets.
- ``GET /repositories`` and ``GET /datasets`` list only the account's own repositories
  and datasets; ``GET /datasets?repositoryId=N`` also lists a Public repository's.
  Unknown or unreadable ``repositoryId`` filters give an empty list, not an error.
- A repository or dataset name already used (per account, per repository) gets 409
  with a ``message``. Deleting a repository deletes its datasets.
- Error texts are the emulator's own; only the status codes and the presence of
  ``message`` are meant to match the service.
- Uploads are processed one at a time, in order, by one background thread. Process
  states are ``Requested``, ``Processing``, ``Processed`` and ``Failed``; the
  description says how many values were added (plus values updated and rows deleted
  when there were any). A body that is not gzip is read as plain CSV.
- Without initialized columns or a manifest, a header named ``Date`` (any case) is
  taken as the date column, with no entity columns; otherwise the upload fails.
  Columns with an empty header (an unnamed pandas index) are ignored.
- Value columns are numbers unless a manifest says ``String``; cells that do not parse
  as numbers are kept as text. Empty cells are no value: with ``onConflictUpdateDB``
  they leave the stored value alone. ``deleteMissingFromDB`` deletes rows whose date
  and entities the upload lacks; value columns the upload lacks are kept.
- New value columns are refused (the process fails) unless ``acceptNewColumns=True``
  or the dataset has no value columns yet. Changing the date or entity columns of a
  dataset that holds rows is refused (409 on the initializer, a failed process on an
  upload).
- Dates are parsed with the column's ``dateFormat`` (``strftime`` syntax) or as ISO
  8601, and downloaded as ``YYYY-MM-DD`` (or ``YYYY-MM-DDTHH:MM:SS`` when the time is
  not midnight). Downloads are ordered by date, then entities.
- ``$filter`` supports ``eq ne gt ge lt le``, ``and``, ``or``, ``not`` and parentheses
  over column names; ``$select`` names value columns (the date and entity columns are
  always included). Unknown columns give 400.
- ``$format=xlsx`` works only when openpyxl is installed; otherwise 400 with a message.
- ``date-stats`` answers ``datasetId``, ``frequency`` (the most common gap between
  dates: Daily, Weekly, Monthly, Quarterly, Semiannual, Yearly or Irregular),
  ``firstDate``, ``lastDate`` and ``numberOfDates``.
- Connector runs are recorded but nothing runs: a run is answered ``Requested`` and
  reads back ``Failed`` ("The emulator runs no connectors.").
- Search covers datasets only (``asset=datasets``): every word of ``q`` must appear in
  the dataset's name, description or repository name (no fuzzy matching). By default
  it covers the account's own datasets; ``searchAllAlphacast=true`` adds every Public
  dataset. Datasets are deprecated only through ``Emulator.deprecate_dataset``.
- Dataset metadata carries ``permissionLevel`` (``Write``/``Read``), ``canRead`` and
  ``canWrite``; the service's own permission fields may be named differently.
"""

from __future__ import annotations

from alphacast.emulator._emulator import Emulator

__all__ = ["Emulator"]
