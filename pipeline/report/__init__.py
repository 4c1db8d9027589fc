"""Change reports: ``kankei report`` in Markdown, HTML, JSON or Atom.

The package imports nothing itself: callers import the module that does the job
(:mod:`.select`, :mod:`.render`, :mod:`.textdiff`, :mod:`.markdown`, :mod:`.messages`),
so a run that only needs the character diff or the Markdown escaper loads no renderer.

:mod:`.select` picks the runs and changes (read-only), :mod:`.textdiff` diffs edited
text character by character, :mod:`.render` fills the templates in ``templates/`` with
the wording of :mod:`.messages`. Ranges: one run (``--run N``), every run that started
on or after a moment (``--since``), or by default the latest run that found changes
(Atom: the latest :data:`ATOM_DEFAULT_RUNS` such runs, since a feed is a window over
recent runs).

Language and clock: Markdown, HTML and Atom are worded in English or Japanese (``--lang``,
``[report] language``; one message table per language in :mod:`.messages`) and show
times in ``[report] timezone`` (default Asia/Tokyo), which also reads ``--since``.
JSON keeps every time in UTC.

The first load of a source into the database (every fiscal year and body "added")
is marked ``initial_load``: JSON lists it in full, the other formats summarise it
(N fiscal years, M bodies) instead of listing a hundred bodies.

Snapshot links (HTML): each change links to the gzip file of the stored page it was
detected in. With ``-o FILE`` the link is relative to the report file's folder (the
report and the snapshot folder can move together); on stdout it is an absolute
``file://`` URL. Atom entries carry no snapshot links (feed readers cannot open
local files); they link to the ministry page.

JSON structure (``kankei_report_version`` 1; new keys may be added, existing keys
keep their meaning)::

    {
      "kankei_report_version": 1,
      "generated_at": "2026-04-01T06:00:00Z",      # UTC, ISO 8601
      "database_id": "0b6f…",                     # UUID, stable per database (see select.database_id)
      "range": {
        "mode": "latest" | "run" | "since",
        "run_id": 4 | null,                       # mode "run"; mode "latest": the newest run shown
        "since": "2026-02-28T15:00:00Z" | null,   # mode "since" (UTC; --since is read in [report] timezone)
        "latest": 1 | null,                       # mode "latest": how many runs with changes
        "runs_checked": 4                         # runs in range, with or without changes
      },
      "sources": {"model-projects": "https://www.soumu.go.jp/…"},
      "runs": [                                   # oldest first; only runs with changes
        {
          "run_id": 4,
          "started_at": "…", "finished_at": "…" | null, "status": "ok" | "failed" | "running",
          "initial_load_sources": ["model-projects"],   # sources first loaded in this run
          "counts": {"adoption_changed": 1, …},
          "changes": [
            {
              "id": 116, "kind": "adoption_changed",    # kinds: see db.schema.CHANGE_KINDS
              "detected_at": "…",
              "fiscal_year": 2020 | null, "fiscal_year_label": "令和2年度" | null,
              "name": "石狩市",                          # body, year label, category or source
              "field": "summary" | null,
              "old_value": "…" | null, "new_value": "…" | null,
              "source": "model-projects", "source_url": "https://…" | null,
              "initial_load": false,
              "snapshot": {"id": 4, "url": "…", "fetched_at": "…", "http_status": 200,
                           "sha256": "…", "path": "e1/e161….gz"} | null  # path: in the snapshot folder
            }
          ]
        }
      ]
    }
"""
