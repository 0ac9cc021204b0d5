"""Paging parameters, checked the same way everywhere: an offset, limit or page number that is not a whole number
in range is the client's mistake (400 with a message naming the parameter), never a database overflow (500).

APIs call `offset_limit` / `page_number` and let `PagingError` become a 400; HTML pages use `lenient_page`, which
reads garbage as the first page as people expect from a link."""

MAX_OFFSET = 1_000_000   # deeper than any list we serve; keeps OFFSET far inside a bigint and the query cheap
MAX_PAGE = 100_000


class PagingError(ValueError):
    """A paging parameter out of range; the message is Vietnamese first and names the parameter."""


def _whole(name: str, value, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise PagingError(f"{name} phải là số nguyên / {name} must be a whole number") from None
    if not low <= number <= high:
        raise PagingError(f"{name} phải từ {low} đến {high} / {name} must be between {low} and {high}")
    return number


def offset_limit(offset, limit, *, max_limit: int = 100, max_offset: int = MAX_OFFSET) -> tuple[int, int]:
    return _whole("offset", offset, 0, max_offset), _whole("limit", limit, 1, max_limit)


def page_number(page, *, max_page: int = MAX_PAGE) -> int:
    return _whole("page", page, 1, max_page)


def lenient_page(value, *, max_page: int = MAX_PAGE) -> int:
    try:
        return min(max(1, int(value or 1)), max_page)
    except (TypeError, ValueError):
        return 1
