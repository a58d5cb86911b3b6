"""Opening a store: the engine, SQLite's settings for sharing, sessions, and what a
database error tells the user."""
from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlmodel import Session

from mleg_tui.errors import ConfigError, MlegError
from mleg_tui.read_pause import pause_point
from mleg_tui.store.filemode import make_private

BUSY_TIMEOUT_MS = 15_000
PAUSE_EVERY = 20_000  # SQLite steps between pause points (a few hundred microseconds)
log = logging.getLogger("mleg_tui.store")


class StoreError(MlegError):
    """The store cannot be opened or used."""


class StoreMissing(StoreError):
    """There is no store where the settings point, and this command does not make one."""


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def sqlite_file(url: str | URL) -> Path | None:
    """The file of an SQLite store; None for an in-memory one or another database."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    if parsed.database.startswith("file:"):  # a URI filename: SQLite decides
        return None
    return Path(parsed.database)


def file_exists(path: Path) -> bool:
    """Whether the store's file is there; a folder this user may not enter is said so."""
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as e:
        raise StoreError(f"Nie można otworzyć bazy danych {path}: {e.strerror}.") from None
    return True


def missing(url: str | URL) -> StoreMissing:
    parsed = make_url(url) if isinstance(url, str) else url
    path = sqlite_file(parsed)
    where = (f"w pliku {path}" if path else
             f"w bazie {parsed.render_as_string(hide_password=True)}")
    return StoreMissing(
        f"Nie ma jeszcze magazynu mleg-tui {where}: utwórz go (`mleg-tui import PLIK.csv` z "
        "pliku rejestru albo `mleg-tui demo-data` z danymi przykładowymi) lub wskaż inny (--db)."
    )


def create(url: str, *, create: bool = True, make_folder: bool = False,
           group_readable: bool = False) -> Engine:
    """An engine on the store at `url`. A new SQLite file is made only with `create`;
    its folder must exist unless `make_folder` (the default location); it is readable by
    its owner only (and its group, when `group_readable`: see store.filemode). A database
    error's text never quotes the statement's values (a PESEL looked up, an activation code)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"„{url}” nie jest ścieżką pliku ani adresem bazy danych.") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        path = sqlite_file(parsed)
        if path is not None and not file_exists(path):
            if not create:
                raise missing(parsed)
            new_store_file(path, make_folder=make_folder, group_readable=group_readable)
        return _sqlite(url, parsed.database)
    if backend != "postgresql":
        raise ConfigError(
            f"Nieobsługiwana baza danych „{parsed.drivername}”: mleg-tui działa na SQLite "
            "(ścieżka pliku) i PostgreSQL (adres postgresql+psycopg://użytkownik@serwer/baza)."
        )
    if parsed.drivername in ("postgresql", "postgres"):  # SQLAlchemy would pick psycopg2
        parsed = parsed.set(drivername="postgresql+psycopg")
    # As SQLite's busy timeout: a writer waits for a row another transaction holds at
    # most this long, then is told (see writing), instead of hanging behind a session
    # that stopped in the middle of a change. Readers never wait for rows.
    args = {"options": f"-c lock_timeout={BUSY_TIMEOUT_MS}"}
    try:
        return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=10,
                             connect_args=args, hide_parameters=True)
    except ModuleNotFoundError as e:
        raise ConfigError(
            f"Brak sterownika PostgreSQL ({e.name}): zainstaluj dodatek postgres, "
            "np. `pip install 'mleg-tui[postgres]'`."
        ) from None
    except ArgumentError as e:  # a driver SQLAlchemy does not know (postgresql+nonsense://)
        raise ConfigError(f"Adres bazy danych „{parsed.render_as_string(hide_password=True)}”: "
                          f"nieznany sterownik ({e}).") from None


def new_store_file(path: Path, *, make_folder: bool, group_readable: bool = False) -> None:
    """Make the (empty, private) file of a new SQLite store. Its folder must exist: a typo
    in --db must not make folders; only the default location's folder is made."""
    folder = path.parent
    if not folder.is_dir() and (not make_folder or folder.exists()):
        raise StoreError(
            f"Nie ma katalogu {folder} na bazę danych {path.name}: popraw ścieżkę (--db) "
            "albo najpierw utwórz ten katalog."
        )
    try:
        make_private(str(path), group=group_readable)
    except OSError as e:
        if not folder.is_dir():
            raise StoreError(f"Nie można utworzyć katalogu bazy danych {folder}: {e.strerror}.") from None
        raise StoreError(f"Nie można otworzyć bazy danych {path}: {e.strerror}.") from None


def remove_new_store(engine: Engine) -> None:
    """A store this command made for itself and then failed to fill goes again, so a failed
    command leaves nothing behind; not if anyone has put a person or an order in it since."""
    path = sqlite_file(engine.url)
    if path is None:
        return
    try:
        with engine.connect() as conn:
            used = conn.exec_driver_sql(
                "SELECT (SELECT count(*) FROM person) + (SELECT count(*) FROM orders)").scalar()
    except SQLAlchemyError:
        used = None  # a store half made (no tables yet) is removed too
    engine.dispose()
    if used:
        return
    for name in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
        with contextlib.suppress(FileNotFoundError):
            name.unlink()


def _pause_point() -> int:
    pause_point()
    return 0  # go on


def _sqlite(url: str, database: str | None) -> Engine:
    # LIFO: the connection used last, its page cache warm, serves the next request.
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
                           pool_use_lifo=True, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _on_begin).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        # A long read (the count over a million orders) pauses where a front end asks it to.
        dbapi_conn.set_progress_handler(_pause_point, PAUSE_EVERY)
        if database and database != ":memory:":
            # WAL: readers never block the writer nor the writer readers, so staff
            # sessions and a cron job can share one file.
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock at BEGIN, so a read-then-write cannot deadlock
        # and two writers are serialised instead of failing mid-transaction.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _busy(e: OperationalError) -> bool:
    """Another transaction held what this one needed for longer than BUSY_TIMEOUT_MS."""
    if getattr(e.orig, "sqlstate", None) == "55P03":  # PostgreSQL: lock_not_available
        return True
    return "locked" in str(e.orig) or "busy" in str(e.orig)


# What happened, by SQLite's primary result code and PostgreSQL's SQLSTATE (class or code).
_SQLITE_CODES = {"SQLITE_FULL": "full", "SQLITE_IOERR": "io", "SQLITE_READONLY": "read_only",
                 "SQLITE_CORRUPT": "corrupt", "SQLITE_NOTADB": "corrupt", "SQLITE_CANTOPEN": "cant_open",
                 "SQLITE_PERM": "cant_open", "SQLITE_BUSY": "busy", "SQLITE_LOCKED": "busy"}
_PG_STATES = {"53100": "full", "53": "resources", "58": "io", "25006": "read_only", "08": "connection",
              "57P": "connection", "55P03": "busy", "40": "conflict", "28": "login", "3D": "login",
              "22": "refused", "23": "refused", "P0": "refused"}  # data, constraints, triggers
_SAID = {
    "full": "Brak miejsca na dysku bazy danych: zwolnij miejsce i spróbuj ponownie.",
    "resources": "Serwerowi bazy danych zabrakło zasobów (pamięci, połączeń): spróbuj ponownie "
                 "za chwilę albo zgłoś to administratorowi bazy.",
    "io": "Błąd odczytu lub zapisu dysku bazy danych: sprawdź dysk (i kopię zapasową), potem "
          "spróbuj ponownie.",
    "read_only": "Baza danych jest tylko do odczytu (uprawnienia pliku lub katalogu, albo serwer "
                 "w trybie odczytu): tej czynności nie da się teraz wykonać.",
    "corrupt": "Plik bazy danych jest uszkodzony: przywróć kopię zapasową.",
    "cant_open": "Nie można otworzyć pliku bazy danych (uprawnienia lub brak pliku): sprawdź "
                 "ścieżkę (--db) i prawa dostępu.",
    "busy": "Baza danych jest zajęta przez inny proces dłużej niż {busy} s; spróbuj ponownie.",
    "connection": "Brak połączenia z serwerem bazy danych: sprawdź, czy działa i czy adres (--db) "
                  "jest dobry, potem spróbuj ponownie.",
    "login": "Serwer bazy danych odmówił dostępu (użytkownik, hasło lub nazwa bazy w adresie "
             "--db): popraw adres albo uprawnienia.",
    "conflict": "Inna równoczesna zmiana w bazie danych kolidowała z tą: spróbuj ponownie.",
    "refused": "Baza danych odrzuciła zmianę jako niezgodną ze swoimi regułami. To błąd "
               "programu albo danych: zgłoś go (szczegóły w dzienniku programu).",
    "other": "Nieoczekiwany błąd bazy danych: spróbuj ponownie, a jeśli się powtórzy, zgłoś go "
             "(szczegóły w dzienniku programu).",
}


def _orig(e: Exception) -> object | None:
    """The driver's own error: wrapped by SQLAlchemy, or raised by the driver itself."""
    return getattr(e, "orig", None) if isinstance(e, SQLAlchemyError) else e


def _kind(e: Exception) -> str:
    orig = _orig(e)
    name = getattr(orig, "sqlite_errorname", None)
    if name:
        base = "_".join(name.split("_")[:2])  # SQLITE_IOERR_WRITE -> SQLITE_IOERR
        if base in _SQLITE_CODES:
            return _SQLITE_CODES[base]
    state = getattr(orig, "sqlstate", None)
    if state:
        for prefix in (state, state[:3], state[:2]):
            if prefix in _PG_STATES:
                return _PG_STATES[prefix]
    from sqlalchemy.exc import DataError, IntegrityError, InternalError

    if isinstance(e, IntegrityError | DataError | InternalError):
        return "refused"
    if isinstance(e, OperationalError) and _busy(e):
        return "busy"
    if isinstance(e, OperationalError) and state is None and name is None:
        return "connection"  # the driver could not even reach the server
    return "other"


def _details(e: Exception) -> str:
    """What the log may keep: the kind of error, codes, names of the constraint, table and
    column, the statement's SQL (its parameters never: they hold names and PESELs)."""
    orig = _orig(e)
    parts = [type(e).__name__]
    if orig is not None:
        if orig is not e:
            parts.append(f"{type(orig).__module__}.{type(orig).__name__}")
        for attr in ("sqlite_errorname", "sqlstate"):
            if getattr(orig, attr, None):
                parts.append(f"{attr}={getattr(orig, attr)}")
        diag = getattr(orig, "diag", None)
        if diag is not None:  # psycopg: the primary message, without quoted values
            primary = re.sub(r":\s*\".*$", ": …", diag.message_primary or "")
            parts.append(f"message={primary!r}")
            for attr in ("constraint_name", "table_name", "column_name", "datatype_name"):
                if getattr(diag, attr, None):
                    parts.append(f"{attr}={getattr(diag, attr)}")
        elif getattr(orig, "sqlite_errorname", None):
            parts.append(f"message={str(orig)[:200]!r}")  # SQLite's own texts carry no values
    statement = getattr(e, "statement", None)
    if statement:
        parts.append(f"sql={' '.join(str(statement).split())[:300]!r}")
    return " ".join(parts)


def database_error(e: Exception) -> StoreError:
    """One line for the user (what happened, what to do) for a database error; the details,
    without any personal data, go to the log. Never the exception's own text: SQLAlchemy's
    carries the statement's parameters."""
    kind = _kind(e)
    log.error("database error (%s): %s", kind, _details(e))
    return StoreError(_SAID[kind].replace("{busy}", str(BUSY_TIMEOUT_MS // 1000)))


@contextlib.contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        except SQLAlchemyError as e:
            raise database_error(e) from None


def statement_stopper(session: Session) -> Callable[[], None] | None:
    """What stops the statement the session's connection runs, from another thread: SQLite's
    interrupt (a no-op once none runs); PostgreSQL's cancel request, sent from a thread of
    its own (it connects to the server). A cancel may arrive after its statement ended and
    stop the next one on that connection: so a read once stopped never gives its
    connection back to the pool (`forget_connection`)."""
    raw = session.connection().connection.dbapi_connection
    if raw is None:
        return None
    name = session.get_bind().dialect.name
    if name == "sqlite":
        return cast(Callable[[], None], raw.interrupt)
    if name == "postgresql":
        cancel = getattr(raw, "cancel_safe", None) or raw.cancel

        def quietly() -> None:
            with contextlib.suppress(Exception):  # the statement ended meanwhile, or the server went
                cancel()

        return lambda: threading.Thread(target=quietly, name="cancel", daemon=True).start()
    return None


def forget_connection(session: Session) -> None:
    """The session's connection is closed when the session ends, not pooled (see statement_stopper)."""
    with contextlib.suppress(Exception):
        session.connection().invalidate()


@contextlib.contextmanager
def writing(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on any error."""
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(engine) else engine
    with Session(bind, expire_on_commit=False) as session:
        try:
            with session.begin():
                yield session
        except SQLAlchemyError as e:
            raise database_error(e) from None
