"""The bodies ``kankei rebuild`` replays: read, verified, decoded and parsed ahead of the replay.

The replay (:mod:`pipeline.rebuild`) asks for the body of each snapshot row that has one, in
replay order, with ``bodies.next(snapshot_id)``; it gets the parse (:class:`Parsed`), or
``None`` for a row only to be verified (a 304 row that keeps a copy of its body). A task (a
row) is read and verified against its hash (a source's next task with the same body reuses
it, when the same process did both), decoded with the encoding recorded when it was fetched,
and parsed with its source's parser, by :func:`outcome`, wherever it runs. Two
implementations give the same answers:

- :class:`Worker`: a child process, forked when the replay starts (before any thread is
  started), claims the tasks one after another, in replay order, from a counter shared with
  the parent, and sends each result through a pipe, as far ahead of the replay as the pipe's
  buffer allows. The replay, in the parent process, applies the results in order, through the
  same code as without the worker; when the result it needs next has not arrived, the parent
  claims the next unclaimed task and does it itself instead of waiting. Parsing (two thirds
  of a rebuild) is thus shared by two processes and overlaps the applying, which stays in the
  parent. A parse crosses the pipe as plain tuples, and a source's next parse as only the
  adoptions that differ from the worker's previous parse of it (:class:`PageEncoder`,
  :class:`PageDecoder`): pickling the dataclasses themselves costs more than applying them.
- :class:`InProcess`: every task in this process, one at a time, when asked; where fork is
  not available or only one CPU is (:func:`use_worker`), or when asked for.

Either way an error comes back at the task it concerns, whichever process met it: a missing
or altered file raises :class:`db.snapshots.SnapshotError` (the replay names the row), a body
that does not decode or parse is a :class:`Parsed` with its ``error`` (the message of the
:class:`KankeiError`), and any other exception is raised again, same type and message (from
the worker: with its traceback as the cause). Closing a :class:`Worker` that has not finished
(the replay failed or was interrupted) ends the child process and waits for it.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import operator
import os
import pickle
import signal
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, NamedTuple, Protocol

from db.snapshots import SnapshotStore
from scraper.errors import KankeiError
from scraper.model import Adoption, Category, FiscalYear, ModelProjectsPage, Partner, TextPage
from scraper.parsers import decode_and_parse

log = logging.getLogger(__name__)


class Task(NamedTuple):
    """One snapshot row with a body, as the worker needs it."""

    snapshot_id: int
    source: str
    path: str
    sha256: str
    encoding: str | None  # the encoding recorded when it was fetched (the HTTP header is not stored)
    parser: str | None  # None: only read and verified (a 304 row's copy, or a source whose parser is unknown)


@dataclass(frozen=True, slots=True)
class Parsed:
    """A body decoded and parsed, or why it could not be."""

    encoding: str | None  # what it was decoded with; None when decoding failed
    page: ModelProjectsPage | TextPage | None
    error: str | None  # the decode or parse error (a KankeiError's message)


@dataclass(frozen=True, slots=True)
class Failed:
    """A task that raised: the exception is raised again when the replay reaches the task."""

    error: BaseException
    trace: str | None = None  # the worker's traceback (None: raised in this process, traceback attached)


Outcome = Parsed | None | Failed


class WorkerError(KankeiError):
    """The worker process ended before sending every result it owed."""


class Bodies(Protocol):
    def next(self, snapshot_id: int) -> Parsed | None:
        """The result of the next task, which must be ``snapshot_id``'s."""

    def close(self) -> None:
        """Stop (whatever is left is not needed); again: nothing."""


def parse_body(body: bytes, encoding: str | None, parser: str) -> Parsed:
    """Decode ``body`` (as it was when fetched: ``encoding`` stands in for the Content-Type
    header) and parse it; a :class:`KankeiError` is the result's ``error``, any other exception
    propagates."""
    declared = f"text/html; charset={encoding}" if encoding else None
    return Parsed(*decode_and_parse(body, declared, parser))


def outcome(snapshots: SnapshotStore, task: Task, last_body: dict[str, tuple[str, bytes]]) -> Outcome:
    """``task`` done: read, verified, and parsed when it has a parser (else ``None``); what it raised,
    as a :class:`Failed`. ``last_body``: source -> (sha256, body) of its last task done by the caller."""
    try:
        last = last_body.get(task.source)
        if last is not None and last[0] == task.sha256:
            body = last[1]
        else:
            body = snapshots.read(task.path, task.sha256)
            last_body[task.source] = (task.sha256, body)
        return parse_body(body, task.encoding, task.parser) if task.parser else None
    except Exception as e:  # noqa: BLE001 (raised again at its task)
        return Failed(e)


def unwrap(result: Outcome) -> Parsed | None:
    if isinstance(result, Failed):
        if result.trace is None:
            raise result.error
        raise result.error from WorkerTraceback(result.trace)
    return result


class WorkerTraceback(Exception):
    """The traceback of an exception raised in the worker process (the cause of the one raised here)."""

    def __str__(self) -> str:
        return "\n\n" + str(self.args[0]) if self.args else ""


# --- where: this process or a worker ----------------------------------------------------------


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def fork_available() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def use_worker(requested: bool | None, cpus: int, fork: bool) -> bool:
    """Whether to parse in a worker process too: never without fork; when ``requested`` is None,
    only with more than one CPU to run it on."""
    if not fork:
        return False
    return cpus > 1 if requested is None else requested


def open_bodies(snapshots: SnapshotStore, tasks: list[Task], worker: bool | None = None) -> Bodies:
    """A :class:`Worker` when :func:`use_worker` says so (and there is more than one body to
    parse), else :class:`InProcess`. Call before starting any thread (the worker is forked)."""
    if len(tasks) > 1 and use_worker(worker, available_cpus(), fork_available()):
        try:
            return Worker(snapshots, tasks)
        except (OSError, ImportError) as e:  # no process or no shared semaphore to be had (e.g. no /dev/shm)
            log.warning("rebuild: no worker process (%s); parsing in this process", e)
    return InProcess(snapshots, tasks)


class _Order:
    """The tasks in order: checks that each result is asked for the row it belongs to."""

    def __init__(self, tasks: list[Task]) -> None:
        self.tasks = tasks
        self.position = 0

    def next(self, snapshot_id: int) -> int:
        """The index of the next task, which must be ``snapshot_id``'s."""
        i = self.position
        if i >= len(self.tasks) or self.tasks[i].snapshot_id != snapshot_id:
            got = f"snapshot {self.tasks[i].snapshot_id}" if i < len(self.tasks) else "nothing"
            raise RuntimeError(f"rebuild: read {got} for snapshot {snapshot_id}")
        self.position += 1
        return i

    @property
    def finished(self) -> bool:
        """Every task's result was asked for."""
        return self.position == len(self.tasks)


class InProcess:
    """Every task in this process, when the replay asks for it."""

    def __init__(self, snapshots: SnapshotStore, tasks: list[Task]) -> None:
        self.snapshots, self.tasks = snapshots, tasks
        self.order = _Order(tasks)
        self.last_body: dict[str, tuple[str, bytes]] = {}

    def next(self, snapshot_id: int) -> Parsed | None:
        return unwrap(outcome(self.snapshots, self.tasks[self.order.next(snapshot_id)], self.last_body))

    def close(self) -> None:
        pass


class _Claims:
    """The index of the next task nobody has claimed, shared by the parent and the worker."""

    def __init__(self, context: Any, count: int) -> None:
        self.count = count
        self.next = context.Value("q", 0)

    def claim(self, alive: Any = None) -> int | None:
        """The next unclaimed task's index, now claimed; None when all are. ``alive``: in the
        parent, checks the worker while waiting (it may have died holding the lock)."""
        lock = self.next.get_lock()
        while not lock.acquire(timeout=1.0):
            if alive is not None and not alive():
                raise WorkerError("the process parsing the snapshots ended unexpectedly")
        try:
            i = self.next.value
            if i >= self.count:
                return None
            self.next.value = i + 1
            return i
        finally:
            lock.release()


class Worker:
    """The tasks shared by a forked child process and this one (module docstring)."""

    def __init__(self, snapshots: SnapshotStore, tasks: list[Task]) -> None:
        context = multiprocessing.get_context("fork")
        self.snapshots, self.tasks = snapshots, tasks
        self.order = _Order(tasks)
        self.claims = _Claims(context, len(tasks))
        self.ready: dict[int, Outcome] = {}  # results not yet asked for, by task index
        self.last_body: dict[str, tuple[str, bytes]] = {}  # of the tasks done here
        self.decoder = PageDecoder()
        self.receiver, sender = context.Pipe(duplex=False)
        self.process = context.Process(target=_work, args=(snapshots, tasks, self.claims, sender, self.receiver),
                                       name="kankei-rebuild-parse", daemon=True)
        try:
            self.process.start()
        except BaseException:
            self.receiver.close()
            raise
        finally:
            sender.close()  # the child's end: EOF here once the child has exited

    def next(self, snapshot_id: int) -> Parsed | None:
        i = self.order.next(snapshot_id)
        while i not in self.ready:
            if self.receiver.poll():
                self._receive()
                continue
            j = self.claims.claim(self.process.is_alive)
            if j is None:  # the worker claimed it: wait for it
                self._receive()
            else:  # nothing has arrived: do the next task here rather than wait
                self.ready[j] = outcome(self.snapshots, self.tasks[j], self.last_body)
        return unwrap(self.ready.pop(i))

    def _receive(self) -> None:
        try:
            message = pickle.loads(self.receiver.recv_bytes())
        except (EOFError, OSError):  # OSError: it ended while sending ("got end of file during message")
            self.process.join(timeout=5)
            raise WorkerError(f"the process parsing the snapshots ended unexpectedly "
                              f"(exit code {self.process.exitcode})") from None
        i, kind = message[0], message[1]
        if kind == "parsed":
            _, _, encoding, page, error = message
            task = self.tasks[i]
            self.ready[i] = Parsed(encoding, None if page is None else self.decoder.decode(task.source, page), error)
        elif kind == "failed":
            self.ready[i] = Failed(message[2], message[3])
        else:
            self.ready[i] = None

    def close(self) -> None:
        if self.receiver.closed:
            return
        self.receiver.close()  # a child still sending gets EPIPE
        if not self.order.finished:  # the replay stopped early (it failed or was interrupted)
            self.process.terminate()
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.process.close()


def _work(snapshots: SnapshotStore, tasks: list[Task], claims: _Claims, sender: Connection,
          receiver: Connection) -> None:
    """The worker process: claims tasks until none is left, sends each result through ``sender``."""
    gc.freeze()  # what was inherited is the parent's: never collected here (nor its pages copied by a collection)
    receiver.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interrupt is the parent's to handle: it ends this process
    encoder = PageEncoder()
    last_body: dict[str, tuple[str, bytes]] = {}
    try:
        while (i := claims.claim()) is not None:
            task = tasks[i]
            try:
                message = _message(i, task.source, outcome(snapshots, task, last_body), encoder)
            except Exception as e:  # noqa: BLE001 (raised again at its task)
                message = _pickled_failure(i, e)
            sender.send_bytes(message)
    except BrokenPipeError:
        pass  # the parent stopped listening: it failed or was interrupted
    finally:
        sender.close()


def _message(i: int, source: str, result: Outcome, encoder: PageEncoder) -> bytes:
    """A task's result, pickled for the pipe."""
    if isinstance(result, Failed):
        return _pickled_failure(i, result.error)
    if result is None:
        return pickle.dumps((i, "verified"), pickle.HIGHEST_PROTOCOL)
    page = None if result.page is None else encoder.encode(source, result.page)
    return pickle.dumps((i, "parsed", result.encoding, page, result.error), pickle.HIGHEST_PROTOCOL)


def _pickled_failure(i: int, error: BaseException) -> bytes:
    """(i, "failed", error, its traceback) pickled; an error that does not survive pickling is
    replaced by a RuntimeError naming its type and message."""
    trace = "".join(traceback.format_exception(error))
    try:
        data = pickle.dumps((i, "failed", error, trace), pickle.HIGHEST_PROTOCOL)
        pickle.loads(data)
    except Exception:  # noqa: BLE001
        data = pickle.dumps((i, "failed", RuntimeError(f"{type(error).__name__}: {error}"), trace),
                            pickle.HIGHEST_PROTOCOL)
    return data


# --- parses across the pipe -------------------------------------------------------------------


class PageEncoder:
    """A parse as plain tuples; of a model-project page, only the adoptions that differ from the
    one at the same position in the same year of the source's previous page (``None`` for the others).

    Pickling the dataclasses of a 99-body page and back costs about 1 ms (more than applying it);
    as tuples about 0.3 ms; sent as the few bodies that changed, a few microseconds.
    """

    def __init__(self) -> None:
        self.last: dict[str, dict[int, list[Adoption]]] = {}  # source -> fiscal year -> adoptions

    def encode(self, source: str, page: object) -> tuple[Any, ...]:
        if isinstance(page, ModelProjectsPage):
            last = self.last.get(source, {})
            years = [(y.fiscal_year, y.label, y.stated_total, _changed(y.adoptions, last.get(y.fiscal_year, [])))
                     for y in page.years]
            self.last[source] = {y.fiscal_year: y.adoptions for y in page.years}
            return ("model_projects", years, [(c.name, c.definition) for c in page.categories], page.warnings)
        if isinstance(page, TextPage):
            return ("text", page.title, page.text)
        return ("object", page)  # another parser's result: pickled as it is


class PageDecoder:
    """The parse :class:`PageEncoder` encoded. An adoption unchanged from the source's previous page
    is that page's :class:`Adoption` object: nothing the replay does changes a parsed object."""

    def __init__(self) -> None:
        self.last: dict[str, dict[int, list[Adoption]]] = {}

    def decode(self, source: str, message: tuple[Any, ...]) -> Any:
        if message[0] == "model_projects":
            _, years, categories, warnings = message
            last = self.last.get(source, {})
            page = ModelProjectsPage(
                years=[FiscalYear(fiscal_year, label, stated_total, _adoptions(changed, last.get(fiscal_year, [])))
                       for fiscal_year, label, stated_total, changed in years],
                categories=[Category(name, definition) for name, definition in categories],
                warnings=warnings,
            )
            self.last[source] = {y.fiscal_year: y.adoptions for y in page.years}
            return page
        if message[0] == "text":
            return TextPage(message[1], message[2])
        return message[1]


AdoptionTuple = tuple[int, str, str, str, "str | None", "str | None", "str | None",
                      tuple[tuple[str, str, str, "str | None"], ...]]


def _changed(adoptions: list[Adoption], previous: list[Adoption]) -> list[AdoptionTuple | None]:
    same = list(map(operator.eq, adoptions, previous))  # as long as the shorter list
    same += [False] * (len(adoptions) - len(same))
    return [None if equal else _adoption_tuple(a) for a, equal in zip(adoptions, same)]


def _adoption_tuple(a: Adoption) -> AdoptionTuple:
    return (a.fiscal_year, a.name, a.prefecture, a.municipality, a.lg_code, a.category, a.summary,
            tuple((p.name, p.prefecture, p.municipality, p.lg_code) for p in a.partners))


def _adoptions(changed: list[AdoptionTuple | None], previous: list[Adoption]) -> list[Adoption]:
    return [previous[i] if a is None else
            Adoption(a[0], a[1], a[2], a[3], a[4], a[5], a[6], [Partner(*p) for p in a[7]])
            for i, a in enumerate(changed)]
