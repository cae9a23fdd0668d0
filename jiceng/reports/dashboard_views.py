"""Pages of the officer's dashboard (issue 22 item 2): the panel loaded after the home page
(htmx), a unit's own dashboard page (where the map's districts and streets lead), and the rows
behind one of its figures."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from . import dashboard
from .figures import BY_KEY
from .selectors import Rows
from .views import ROWS_PAGE_SIZE


@login_required
def dashboard_panel(request: HttpRequest) -> HttpResponse:
    """The figures, map and sub-units of ``?under=`` (the user's top unit by default)."""
    under = dashboard.under_get(request.user, request.GET.get("under"))
    return render(request, "reports/dashboard_panel.html", {"panel": dashboard.panel(under)})


@login_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """The dashboard of one unit: the way from the user's top unit down to it, and its panel
    (loaded after the page, like the home page's)."""
    under = dashboard.under_get(request.user, request.GET.get("under"))
    return render(
        request,
        "reports/dashboard_page.html",
        {"under": under, "trail": dashboard.trail(request.user, under)},
    )


@login_required
def figure_rows(request: HttpRequest, key: str) -> HttpResponse:
    """The rows one figure of the dashboard counts, today, for ``?under=``: the same list as
    a report's figure, under the current batch's window."""
    figure = BY_KEY.get(key)
    if figure is None:
        raise Http404
    under = dashboard.under_get(request.user, request.GET.get("under"))
    window, _campaign = dashboard.current_window()
    found = Rows(
        ref=key,
        figure=figure,
        quoted={"label": figure.label, "unit": figure.unit},
        rows=figure.listing(window, under.path),
        window=window,
        under=under,
    )
    page = Paginator(found.rows, ROWS_PAGE_SIZE).get_page(request.GET.get("page"))
    columns = figure.columns
    return render(
        request,
        "reports/rows.html",
        {
            "report": None,
            "back": (under.name, dashboard.page_href(under)),
            "found": found,
            "columns": columns,
            "rows": [[(c.value(r), c.href(r)) for c in columns] for r in page],
            "page_obj": page,
            "count": page.paginator.count,
        },
    )
