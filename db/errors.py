"""Errors the data layer raises; each prints as one line a user can act on."""


class CrisisError(Exception):
    """A data or database problem the user can fix (exit code 1)."""


class PackError(CrisisError):
    """A crisis pack that cannot be loaded: says the file, the record and the field.

    `others` are further problems found with it (`where: what`, as many as were listed), to be
    shown a line each after this one; `more` counts every further problem.
    """

    def __init__(self, where: str, problem: str, more: int = 0, others: tuple[str, ...] = ()) -> None:
        self.where = where
        self.problem = problem
        self.more = more
        self.others = others
        tail = f" (and {more} more problem{'s' if more != 1 else ''})" if more else ""
        super().__init__(f"{where}: {problem}{tail}")


class DatabaseError(CrisisError):
    """A database that is missing, locked, corrupt or of another schema version."""


class OutdatedDatabase(DatabaseError):
    """A database of an older schema: `crisis-tui upgrade` rebuilds it, keeping its data."""

    def __init__(self, message: str, found: int) -> None:
        super().__init__(message)
        self.found = found
