"""Panels on the shopper's account page that the apps contribute.

`customers` renders the account page and imports no app above it, so loyalty, quizzes and
referrals register their panels here from their `AppConfig.ready()`; the account view renders
every registered panel, in `order`.

    panels.register(AccountPanel(name="loyalty", template="loyalty/account_panel.html",
                                 context=loyalty_panel_context, order=10))

`context(request, customer)` returns the panel template's context, or None to hide the panel.
The template receives it as `panel`, plus `customer` and `request`.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True, slots=True)
class AccountPanel:
    name: str
    template: str
    context: Callable[[HttpRequest, object], dict | None]
    order: int = 50
    # "before" renders above the profile facts, "after" below the answers.
    placement: str = "after"


_panels: dict[str, AccountPanel] = {}


def register(panel: AccountPanel) -> None:
    """Register (or replace, by name) a panel."""
    _panels[panel.name] = panel


def _rendered(registry: dict[str, AccountPanel], request: HttpRequest, customer) -> list[dict]:
    """The registry's panels that have something to show, in `order`, each {name, template,
    placement, panel}."""
    rendered = []
    for panel in sorted(registry.values(), key=lambda p: (p.order, p.name)):
        context = panel.context(request, customer)
        if context is not None:
            rendered.append({"name": panel.name, "template": panel.template,
                             "placement": panel.placement, "panel": context})
    return rendered


def panels_for(request: HttpRequest, customer) -> list[dict]:
    """The panels to render for this customer, each {name, template, placement, panel}."""
    return _rendered(_panels, request, customer)


# The front page's sections, contributed the same way (context(request, customer) -> dict or
# None; customer is None for a visitor): how to earn and the tiers, the quizzes to take.
_home_panels: dict[str, AccountPanel] = {}


def register_home(panel: AccountPanel) -> None:
    """Register (or replace, by name) a front-page section."""
    _home_panels[panel.name] = panel


def home_panels_for(request: HttpRequest, customer) -> list[dict]:
    """The front page's sections, in `order`, each {name, template, panel}."""
    return _rendered(_home_panels, request, customer)
