"""`kankei rebuild`'s worker process (pipeline/rebuild_worker.py): the same database with or without it,
errors at the snapshot they concern, no process left behind."""

from __future__ import annotations

import copy
import hashlib
import os
import shutil
import signal
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from db import schema, store
from db.snapshots import SnapshotError, SnapshotStore
from pipeline.cli import cli
from pipeline.config import Source, load_config
from pipeline.cycle import apply_parsed
from pipeline.rebuild import RebuildError, rebuild
from pipeline.rebuild_worker import (
    InProcess, PageDecoder, PageEncoder, Task, Worker, fork_available, open_bodies, use_worker,
)
from scraper.model import Adoption, Category, FiscalYear, ModelProjectsPage, Partner, TextPage
from scraper.parsers.model_projects import parse_model_projects
from tests.http_server import LoopbackServer, Reply

from .helpers import SAMPLES, fixture_bytes, fixture_text, write_config

PAGE = "/kankeijinkou/discription/index.html"
NEWS = "/news.html"
needs_fork = pytest.mark.skipif(not fork_available(), reason="the worker process needs fork")


def sample(name: str) -> Reply:
    """A sample page as the ministry serves it: cp932, no charset in the header."""
    return Reply(200, body=(SAMPLES / name).read_bytes(), content_type="text/html",
                 headers={"ETag": f'"{name}"'})


@pytest.fixture(scope="module")
def pristine_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twelve runs of two sources (a model-project page and a text page): new and removed years,
    edits, removals, 304s, a body fetched twice in a row, parse failures and a fetch failure."""
    directory = tmp_path_factory.mktemp("history")
    with LoopbackServer() as server:
        config = write_config(directory, server.url(PAGE), extra=(
            f'\n[[sources]]\nname = "news"\nurl = "{server.url(NEWS)}"\nparser = "text"\n'))
        model = [sample("v1_baseline.html"), Reply(304, headers={"ETag": '"v1_baseline.html"'}),
                 sample("v2_new_year.html"), sample("v3_edited.html"), sample("v1_baseline.html"),
                 Reply(200, body=fixture_bytes("error_page.html"), content_type="text/html"), Reply(404),
                 sample("v3_edited.html"), sample("v3_edited.html"),
                 Reply(200, body=fixture_bytes("model_projects_table.html"), content_type="text/html"),
                 Reply(200, body=fixture_bytes("model_projects_count_mismatch.html"), content_type="text/html"),
                 sample("v2_new_year.html")]
        news = [sample("v2_new_year.html"), sample("v3_edited.html"), Reply(304, headers={"ETag": '"v3_edited.html"'}),
                sample("v1_baseline.html")]
        news += [news[-1]] * (len(model) - len(news))
        for model_reply, news_reply in zip(model, news):
            server.route(PAGE, model_reply)
            server.route(NEWS, news_reply)
            CliRunner().invoke(cli, ["--config", str(config), "run"])
    return directory


@pytest.fixture
def history(pristine_history: Path, tmp_path: Path) -> Path:
    """A fresh copy of the history; returns its config path."""
    directory = tmp_path / "history"
    shutil.copytree(pristine_history, directory)
    return directory / "config.toml"


def database(config: Path) -> Path:
    return config.parent / "data" / "kankei.db"


def dump(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def child_processes() -> list[int]:
    """This process's children, zombies included (Linux: /proc)."""
    me, children = os.getpid(), []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == me:
                children.append(int(entry.name))
    return children


@needs_fork
def test_the_history_covers_what_a_rebuild_replays(history: Path) -> None:
    conn = sqlite3.connect(database(history))
    statuses = [r[0] for r in conn.execute("SELECT http_status FROM snapshots")]
    repeated = conn.execute("SELECT COUNT(*) FROM snapshots a JOIN snapshots b ON b.id = (SELECT min(id) FROM "
                            "snapshots WHERE id > a.id AND source = a.source) WHERE a.sha256 = b.sha256").fetchone()
    kinds = {r[0] for r in conn.execute("SELECT DISTINCT kind FROM changes")}
    conn.close()
    assert statuses.count(304) >= 2 and repeated[0] >= 2  # a source's next row with the same body: reused
    assert {"adoption_added", "adoption_changed", "adoption_removed", "year_added", "year_removed",
            "text_changed"} <= kinds
    # Rebuilt with the worker, it is the database the runs wrote (but for a fetch failure's time, stored nowhere else).
    result = rebuild(load_config(history), check=True, worker=True)
    assert len(result.failures) == 2 and result.fetch_failures == 1 and result.unchanged >= 2
    assert result.differences == []


@needs_fork
def test_with_and_without_the_worker_the_same_database(history: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(history.parent, other)
    results = []
    for config, worker in ((history, True), (other / "config.toml", False)):
        conn = sqlite3.connect(database(config))  # damage the derived tables: only a replay restores them
        conn.execute("PRAGMA foreign_keys = ON")
        for table in ("changes", "adoption_versions", "fiscal_year_versions", "category_versions", "partners",
                      "adoptions", "categories", "fiscal_years", "pages", "source_state"):
            conn.execute(f"DELETE FROM {table}")
        conn.commit()
        conn.close()
        results.append(rebuild(load_config(config), worker=worker))
    with_worker, without = results
    assert with_worker.lines()[:-1] == without.lines()[:-1]  # the last names the database
    assert with_worker.parsed == 19 and len(with_worker.failures) == 2
    assert dump(database(history)) == dump(database(other / "config.toml"))


@needs_fork
@pytest.mark.parametrize("worker", [True, False])
@pytest.mark.parametrize("damage", ["deleted", "replaced"])
def test_a_missing_or_altered_file_fails_naming_it(history: Path, worker: bool, damage: str) -> None:
    db = database(history)
    conn = sqlite3.connect(db)
    sha256 = hashlib.sha256(fixture_bytes("model_projects_table.html")).hexdigest()  # run 10's body, its own file
    snapshot_id, source, path = conn.execute("SELECT id, source, path FROM snapshots WHERE sha256 = ?",
                                             (sha256,)).fetchone()
    conn.close()
    file = history.parent / "snapshots" / path
    if damage == "deleted":
        file.unlink()
    else:
        file.write_bytes(fixture_bytes("error_page.html"))  # not gzip
    before = db.read_bytes()
    with pytest.raises(RebuildError) as failed:
        rebuild(load_config(history), worker=worker)
    message = str(failed.value)
    assert message.startswith(f"snapshot {snapshot_id} (source {source}, run ") and path in message
    assert ("is missing" if damage == "deleted" else "is unreadable") in message
    assert db.read_bytes() == before
    assert child_processes() == []


@needs_fork
def test_no_process_is_left_behind(history: Path) -> None:
    """A rebuild that fails or is interrupted while the worker still has work ends the worker."""
    assert child_processes() == []
    conn = sqlite3.connect(database(history))
    path = conn.execute("SELECT path FROM snapshots ORDER BY id LIMIT 1").fetchone()[0]
    conn.close()
    (history.parent / "snapshots" / path).rename(history.parent / "moved.gz")
    with pytest.raises(RebuildError, match="is missing"):
        rebuild(load_config(history), worker=True)  # the first snapshot: the worker had 20 left
    assert child_processes() == []
    (history.parent / "moved.gz").rename(history.parent / "snapshots" / path)

    def interrupt(line: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rebuild(load_config(history), worker=True, echo=interrupt)  # after the first run
    assert child_processes() == []
    assert rebuild(load_config(history), worker=True).differences == []
    assert child_processes() == []


@needs_fork
def test_a_worker_killed_from_outside(history: Path) -> None:
    """The replay either finishes the bodies itself (the worker held none) or fails naming the snapshot
    whose body the worker took with it; either way nothing is left behind and a failure changes nothing."""
    db = database(history)
    before = db.read_bytes()

    def kill_the_worker(line: str) -> None:
        for pid in child_processes():
            os.kill(pid, signal.SIGKILL)

    try:
        result = rebuild(load_config(history), worker=True, echo=kill_the_worker)
    except RebuildError as e:
        assert "the process parsing the snapshots ended unexpectedly" in str(e) and str(e).startswith("snapshot ")
        assert db.read_bytes() == before
    else:
        assert result.differences == []
    assert child_processes() == []


def tasks_of(config: Path) -> tuple[SnapshotStore, list[Task]]:
    conn = sqlite3.connect(database(config))
    rows = conn.execute("SELECT id, source, path, sha256, encoding, http_status FROM snapshots "
                        "WHERE sha256 IS NOT NULL ORDER BY id").fetchall()
    conn.close()
    parsers = {"model-projects": "model_projects", "news": "text"}
    tasks = [Task(i, source, path, sha, enc, None if status == 304 else parsers[source])
             for i, source, path, sha, enc, status in rows]
    return SnapshotStore(config.parent / "snapshots"), tasks


@needs_fork
def test_other_exceptions_come_back_as_they_were_raised(history: Path) -> None:
    """An exception that is not a decode or parse failure (a bug) is raised at its task, same type and
    message, whichever process met it; the tasks before it are delivered."""
    snapshots, tasks = tasks_of(history)
    tasks[7] = tasks[7]._replace(parser="no-such-parser")  # PARSERS["no-such-parser"]: KeyError
    for bodies in (Worker(snapshots, tasks), InProcess(snapshots, tasks)):
        try:
            for task in tasks[:7]:
                bodies.next(task.snapshot_id)
            with pytest.raises(KeyError, match="no-such-parser"):
                bodies.next(tasks[7].snapshot_id)
        finally:
            bodies.close()
    assert child_processes() == []


@needs_fork
def test_worker_and_in_process_deliver_equal_results(history: Path) -> None:
    snapshots, tasks = tasks_of(history)
    worker, in_process = Worker(snapshots, tasks), InProcess(snapshots, tasks)
    try:
        for task in tasks:
            assert worker.next(task.snapshot_id) == in_process.next(task.snapshot_id)
        with pytest.raises(RuntimeError, match="read nothing for snapshot 999"):
            worker.next(999)
    finally:
        worker.close()
        in_process.close()
    assert child_processes() == []


def test_in_process_reads_a_missing_file_at_its_task(history: Path) -> None:
    snapshots, tasks = tasks_of(history)
    paths = [t.path for t in tasks]
    i = next(i for i, t in enumerate(tasks) if i > 2 and paths.count(t.path) == 1)
    (history.parent / "snapshots" / tasks[i].path).unlink()
    bodies = InProcess(snapshots, tasks)
    for task in tasks[:i]:
        bodies.next(task.snapshot_id)
    with pytest.raises(SnapshotError, match="is missing"):
        bodies.next(tasks[i].snapshot_id)


def test_when_the_worker_is_used() -> None:
    assert use_worker(None, cpus=2, fork=True)
    assert not use_worker(None, cpus=1, fork=True)  # nothing to overlap on one CPU
    assert use_worker(True, cpus=1, fork=True) and not use_worker(False, cpus=8, fork=True)
    assert not use_worker(True, cpus=8, fork=False) and not use_worker(None, cpus=8, fork=False)
    assert isinstance(open_bodies(SnapshotStore(Path(".")), [], worker=False), InProcess)


# --- parses across the pipe -----------------------------------------------------------------------


def pages() -> list[ModelProjectsPage]:
    """Parses of one source in a row: edits, insertions, moves, removals, years and categories come and go."""
    table = parse_model_projects(fixture_text("model_projects_table.html"))
    edited = copy.deepcopy(table)
    year = edited.years[0]
    first, second = year.adoptions[0], year.adoptions[1]
    first.summary = "別の概要"
    second.partners = [Partner("須崎市", "高知県", "須崎市", None), *second.partners]
    year.adoptions.insert(1, Adoption(year.fiscal_year, "架空町", "北海道", "架空町", None, first.category, "新しい団体"))
    year.adoptions.append(year.adoptions.pop(0))
    edited.categories = [Category(edited.categories[0].name, "定義の変更"), *edited.categories[1:]]
    edited.warnings = ["a warning"]
    smaller = copy.deepcopy(edited)
    smaller.years.pop()
    smaller.years[0].adoptions.pop()
    smaller.categories.pop(0)
    renamed = copy.deepcopy(smaller)
    renamed.years[0].label = "令和２年度"
    renamed.years[0].stated_total += 1
    return [table, parse_model_projects(fixture_text("model_projects_dl.html")), edited, smaller, renamed, edited,
            ModelProjectsPage([], []), table]


def test_pages_cross_the_pipe_unchanged() -> None:
    encoder, decoder = PageEncoder(), PageDecoder()
    previous = None
    for page in pages():
        message = encoder.encode("a", page)
        decoded = decoder.decode("a", message)
        assert decoded == page and type(decoded.years[0] if decoded.years else None) in (FiscalYear, type(None))
        if previous == page:  # a parse like the last one crosses as nothing but its frame
            assert all(a is None for _, _, _, changed in message[1] for a in changed)
        previous = page
    # Sources are encoded each against its own previous parse; other results as they are.
    assert decoder.decode("b", encoder.encode("b", pages()[3])) == pages()[3]
    text = TextPage("title", "text")
    assert decoder.decode("a", encoder.encode("a", text)) == text
    assert decoder.decode("a", encoder.encode("a", {"other": 1})) == {"other": 1}


def test_pages_from_the_pipe_store_what_the_parses_store(tmp_path: Path) -> None:
    """The decoded pages share unchanged adoptions with the previous decoded page (and so with the
    stored state): applying them stores exactly what applying the parses themselves stores."""
    source = Source(name="model-projects", url="http://127.0.0.1/x.html", parser="model_projects")
    encoder, decoder = PageEncoder(), PageDecoder()
    sequence = pages() * 2
    decoded = [decoder.decode(source.name, encoder.encode(source.name, p)) for p in sequence]
    dumps = []
    for name, series in (("parsed", copy.deepcopy(sequence)), ("decoded", decoded)):
        conn = schema.connect(tmp_path / f"{name}.db")
        state = store.StoredState(conn)
        for page in series:
            run_id = store.start_run(conn, "2024-01-01T00:00:00Z")
            with store.transaction(conn):
                changes = apply_parsed(conn, source, page, run_id, state)
                store.insert_changes(conn, run_id, source.name, None, changes, "2024-01-01T00:00:00Z")
            assert state.model_projects() == store.load_model_projects(conn)
        dumps.append([line for line in conn.iterdump() if "adoptions_fts" not in line])
        conn.close()
    assert dumps[0] == dumps[1]
    assert decoded == sequence  # nothing in the replay changed a parsed object
