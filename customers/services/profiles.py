import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Min, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.ingestion.events import CustomerData
from customers.models import (
    Activity,
    Attribute,
    Customer,
    CustomerEmail,
    ExternalId,
    NpsCategory,
    Order,
    User,
)
from customers.signals import customer_erased
from kernel.bulk import insert_new, objs_add, source_pairs_q, update_each
from kernel.emails import email_normalise
from kernel.errors import FlywheelError
from kernel.languages import language_from_locale, language_offered

from .activities import activity_record, activity_record_many
from .privacy import customer_traces_erase


def consent_set(
    *, customer: Customer, accepts_marketing: bool, source: str, at: dt.datetime | None = None
) -> Customer:
    """Record a marketing consent answer with its source and time; unchanged answers are
    not recorded twice."""
    if customer.accepts_marketing == accepts_marketing and customer.marketing_consent_at:
        return customer
    at = at or timezone.now()
    Customer.objects.filter(pk=customer.pk).update(
        accepts_marketing=accepts_marketing, marketing_consent_at=at,
        marketing_consent_source=source[:64],
    )
    customer.accepts_marketing = accepts_marketing
    customer.marketing_consent_at = at
    customer.marketing_consent_source = source[:64]
    activity_record(
        customer=customer, kind=Activity.Kind.CONSENT_CHANGED, occurred_at=at,
        reference=source, data={"accepts_marketing": accepts_marketing, "source": source},
    )
    return customer


@dataclass(frozen=True)
class CustomerFacts:
    """What a caller knows about a customer: how to find them and what to fill in."""

    email: str = ""
    source: str = ""
    external_id: str = ""
    first_name: str = ""
    last_name: str = ""
    birthday: dt.date | None = None
    locale: str = ""
    language: str = ""  # an offered language (kernel.languages); derived from locale if empty
    accepts_marketing: bool | None = None
    consent_source: str = ""
    # Another address they were seen with (an order's or billing email): kept as a known
    # email, never replacing `email`; it names a new customer only when `email` is empty.
    order_email: str = ""
    # For history: when they were true (None: now), and since when the customer was known
    # (an order's placing: a new customer's creation time).
    at: dt.datetime | None = None
    since: dt.datetime | None = None


PROFILE_FIELDS = ("first_name", "last_name", "birthday", "locale", "language")
CONSENT_FIELDS = ("accepts_marketing", "marketing_consent_at", "marketing_consent_source")


def customer_upsert(**facts) -> Customer:
    """Find the customer by external id, then by email, or create them; fill in what we
    learned (the keyword arguments are CustomerFacts' fields). Safe to call from many workers
    at once: the database's unique keys decide."""
    if not facts.get("language"):
        facts["language"] = language_from_locale(facts.get("locale"))
    return customer_found(customers_upsert_many(facts=[CustomerFacts(**facts)])[0])


def customer_language_set(*, customer: Customer, language: str) -> Customer:
    """The customer chose the language Flywheel writes to them in (an offered one, or "" for
    the shop's default)."""
    if language and not language_offered(language):
        raise FlywheelError(_("Choose one of the offered languages."), code="invalid_language",
                            fields={"language": _("Choose one of the offered languages.")})
    if customer.language != language:
        customer.language = language
        customer.save(update_fields=["language", "updated_at"])
    return customer


def customer_found(customer: Customer | None) -> Customer:
    """The customer an upsert found or created; None (no one found, no email to create them
    with) is refused."""
    if customer is None:
        raise FlywheelError(
            _("A new customer needs an email address."), code="email_required",
            fields={"email": _("This field is required.")},
        )
    return customer


def customers_upsert_many(*, facts: list[CustomerFacts],
                          history: bool = False) -> list[Customer | None]:
    """customer_upsert for many customers in a few statements, however many there are: the
    rows apply in order as if one by one (a later row finds the customer an earlier one
    created), and a row that finds no one and has no email gets None.

    Existing customers are locked in id order (so concurrent batches never deadlock on them)
    and updated in one statement; new ones are inserted in one, with their consent. Timeline
    rows (`customer_created`, `consent_changed`) go in together.

    With `history` (old orders being imported), each fact is as of its `at`: a new customer
    was created at their earliest fact and takes their newest names; history only fills in
    names a known customer lacks, never changes a primary email (a new one is kept as a
    known email), records a consent answer only over an older one, and tells no one of the
    timeline rows (no welcome points).
    """
    # The locks need a transaction: the caller's (no savepoint), else one of its own.
    with transaction.atomic(savepoint=False):
        return _upsert_many([replace(f, email=email_normalise(f.email),
                                     order_email=email_normalise(f.order_email))
                             for f in facts], history)


def _upsert_many(facts: list[CustomerFacts], history: bool = False) -> list[Customer | None]:
    by_external, by_email, aliases = _customers_known(facts)
    now = timezone.now()
    as_of: dict[int, dt.datetime] = {}  # history: the newest fact applied to a new customer
    new: dict[str, Customer] = {}  # by email, inserted together below
    changed: dict[int, set] = {}  # existing customers' changed fields, by id
    links: list[tuple[Customer, str, str]] = []
    created_by: dict[str, str] = {}  # new customer's email -> the source that created them
    consents: dict[int, Customer] = {}
    found: list[Customer | None] = []
    seen: list[tuple[Customer, str, str]] = []  # (customer, email, source): known emails
    for fact in facts:
        identity = (fact.source, fact.external_id) if fact.source and fact.external_id else None
        customer = (by_external.get(identity) or by_email.get(fact.email)
                    or by_email.get(fact.order_email) or aliases.get(fact.email)
                    or aliases.get(fact.order_email))
        at = fact.at or now
        if customer is None:
            email = fact.email or fact.order_email
            if not email:
                found.append(None)
                continue
            customer = new[email] = by_email[email] = Customer(
                email=email, created_at=fact.since or at)
            created_by[email] = fact.source
        fields = changed.setdefault(customer.pk, set()) if customer.pk else set()
        newest = not history  # history: names only fill blanks, but a new customer's newest
        if history and customer.pk is None:
            customer.created_at = min(customer.created_at, fact.since or at)
            newest = at >= as_of.get(id(customer), at)
            as_of[id(customer)] = max(as_of.get(id(customer), at), at)
        for field in PROFILE_FIELDS:
            value = getattr(fact, field)
            if value and getattr(customer, field) != value and (
                    newest or not getattr(customer, field)):
                setattr(customer, field, value)
                fields.add(field)
        if history and fact.email and customer.email != fact.email:
            seen.append((customer, fact.email, fact.source))
        elif fact.email and customer.email != fact.email and fact.email not in by_email:
            by_email.pop(customer.email, None)
            if customer.pk is None:  # created by an earlier row: inserted with this email
                new[fact.email] = new.pop(customer.email)
                created_by[fact.email] = created_by.pop(customer.email)
            else:  # the address they had stays one they are known by
                seen.append((customer, customer.email, fact.source))
            customer.email = by_email[fact.email] = fact.email
            fields.add("email")
        if fact.order_email and fact.order_email != customer.email:
            seen.append((customer, fact.order_email, fact.source))
        if identity and identity not in by_external:
            by_external[identity] = customer
            links.append((customer, *identity))
        # Consent is recorded when given, or when one given before is withdrawn; a platform
        # saying "no" about someone who never said yes records nothing.
        if fact.accepts_marketing is not None and (
                customer.accepts_marketing != fact.accepts_marketing
                or (fact.accepts_marketing and not customer.marketing_consent_at)) and not (
                customer.marketing_consent_at and customer.marketing_consent_at > at):
            customer.accepts_marketing = fact.accepts_marketing
            customer.marketing_consent_at = at
            customer.marketing_consent_source = (fact.consent_source or fact.source or "api")[:64]
            consents[id(customer)] = customer
            fields.update(CONSENT_FIELDS)
        found.append(customer)

    insert_new(list(new.values()), key=("email",))
    lost = {id(c) for c in new.values() if c.pk is None}  # known emails: added on the retry
    if lost:
        # Another worker created some of them first: their rows exist now, so those facts
        # apply on top of them, like any later ones, and nothing of ours is written for them.
        again = [i for i, c in enumerate(found) if c is not None and id(c) in lost]
        for i, customer in zip(again, _upsert_many([facts[i] for i in again], history),
                               strict=True):
            found[i] = customer
        new = {email: c for email, c in new.items() if id(c) not in lost}
        links = [link for link in links if id(link[0]) not in lost]
        consents = {key: c for key, c in consents.items() if key not in lost}
    updates = [c for c in {id(c): c for c in found if c is not None}.values()
               if changed.get(c.pk)]
    if updates:
        for customer in updates:
            customer.updated_at = now
        Customer.objects.bulk_update(
            updates, sorted(set().union(*(changed[c.pk] for c in updates)) | {"updated_at"}))
    _known_emails_add(seen, aliases, lost)
    if links:
        objs_add([ExternalId(customer=c, source=source, external_id=external_id)
                  for c, source, external_id in links], ignore_conflicts=True)
    activity_record_many(rows=[
        *({"customer": c, "kind": Activity.Kind.CUSTOMER_CREATED, "occurred_at": c.created_at,
           "reference": created_by[email], "key": f"customer:{c.pk}:created"}
          for email, c in new.items()),
        *({"customer": c, "kind": Activity.Kind.CONSENT_CHANGED,
           "occurred_at": c.marketing_consent_at, "reference": c.marketing_consent_source,
           "data": {"accepts_marketing": c.accepts_marketing,
                    "source": c.marketing_consent_source}}
          for c in consents.values()),
    ], announce=not history)
    return found


def _customers_known(facts: list[CustomerFacts]) -> tuple[dict, dict, dict]:
    """The existing customers the facts name, by (source, external id), by primary email and
    by other known email, locked in id order and fetched once each."""
    wanted = {(f.source, f.external_id) for f in facts if f.source and f.external_id}
    emails = {e for f in facts for e in (f.email, f.order_email) if e}
    external_ids = {}
    if wanted:
        named = ExternalId.objects.filter(source_pairs_q(wanted, "external_id"))
        external_ids = {(source, ext): pk for source, ext, pk in
                        named.values_list("source", "external_id", "customer_id")}
    ids = set(external_ids.values())
    known_by: dict[str, int] = {}  # known email -> customer id, for the emails asked about
    if emails:
        # Two lookups, each by its own index (one query OR-ing the two across a join would
        # scan every customer). An address known for several customers: the newest's.
        ids.update(Customer.objects.filter(email__any=emails).values_list("pk", flat=True))
        for known, pk in (CustomerEmail.objects.filter(email__any=emails)
                          .order_by("-customer__created_at", "-customer_id")
                          .values_list("email", "customer_id")):
            ids.add(pk)
            known_by.setdefault(known, pk)
    if not ids:
        return {}, {}, {}
    customers = {c.pk: c for c in Customer.objects.select_for_update(no_key=True)
                 .filter(pk__any=ids).order_by("pk")}
    for pk, customer in customers.items():
        customer._known_emails = {e for e, owner in known_by.items() if owner == pk}
    return ({identity: customers[pk] for identity, pk in external_ids.items()
             if pk in customers},
            {c.email: c for c in customers.values() if c.email in emails},
            {e: customers[pk] for e, pk in known_by.items() if pk in customers})


def _known_emails_add(seen: list[tuple[Customer, str, str]], aliases: dict,
                      lost: set[int]) -> None:
    """Keep the addresses customers were seen with besides their own, once each (one INSERT,
    only when there is a new one)."""
    rows: dict[tuple[int, str], CustomerEmail] = {}
    for customer, email, source in seen:
        if (id(customer) in lost or email == customer.email
                or email in getattr(customer, "_known_emails", ())):
            continue
        rows.setdefault((customer.pk, email), CustomerEmail(
            customer=customer, email=email, source=source[:16]))
        aliases.setdefault(email, customer)
    if rows:
        CustomerEmail.objects.bulk_create(rows.values(), ignore_conflicts=True)


def platform_facts(*, source: str, data: CustomerData, locale: str = "",
                   at: dt.datetime | None = None,
                   since: dt.datetime | None = None) -> CustomerFacts:
    """What a shop platform said about a customer (on an order or on its own), to upsert;
    for history, when it said so and since when (see CustomerFacts)."""
    return CustomerFacts(email=data.email, source=source, external_id=data.external_id,
                         first_name=data.first_name, last_name=data.last_name, locale=locale,
                         language=language_from_locale(locale),
                         accepts_marketing=data.accepts_marketing,
                         order_email=data.order_email, at=at, since=since)


def customer_link_user(*, user: User) -> Customer:
    """Link a shopper's account to the customer with the same email (created if new)."""
    customer = customer_upsert(email=user.email, first_name=user.first_name,
                               last_name=user.last_name)
    if customer.user_id != user.pk:
        if customer.user_id is not None:
            raise FlywheelError(_("This customer already has an account."), code="conflict")
        customer.user = user
        customer.save(update_fields=["user", "updated_at"])
        activity_record(
            customer=customer, kind=Activity.Kind.ACCOUNT_CREATED,
            key=f"customer:{customer.pk}:account:{user.pk}",
        )
    return customer


def attribute_set(
    *,
    customer: Customer,
    key: str,
    value: str,
    source_kind: str,
    source_id: str = "",
    captured_at: dt.datetime | None = None,
) -> Attribute:
    """Record a zero-party answer. History is kept; the latest row per key is the profile's."""
    attribute = Attribute(
        customer=customer, key=key, value=str(value)[:255], source_kind=source_kind,
        source_id=str(source_id)[:64], captured_at=captured_at or timezone.now(),
    )
    try:
        attribute.full_clean(exclude=["customer"])
    except ValidationError as exc:
        raise FlywheelError(_("The answer can't be recorded."), code="invalid_attribute",
                            fields={k: " ".join(v) for k, v in exc.message_dict.items()}) from exc
    attribute.save()
    return attribute


STATS_FIELDS = ("orders_count", "total_spent", "first_order_at", "last_order_at")


def customers_stats_refresh(*, customer_ids: Iterable[int]) -> int:
    """Recount orders and net spend from the orders themselves (paid, not cancelled), for many
    customers in one UPDATE; spend is what stayed, in the shop's currency (Order.shop_net).
    Returns how many customers were updated."""
    counted = (Order.objects.filter(customer=OuterRef("pk"), paid_at__isnull=False)
               .exclude(status=Order.Status.CANCELLED).order_by().values("customer"))

    def of_counted(aggregate):
        return Subquery(counted.annotate(value=aggregate).values("value")[:1])

    return Customer.objects.filter(pk__any=list(customer_ids)).update(
        orders_count=Coalesce(of_counted(Count("id")), 0),
        total_spent=Coalesce(of_counted(Sum("shop_net")), Decimal("0"),
                             output_field=Customer._meta.get_field("total_spent")),
        first_order_at=of_counted(Min("placed_at")),
        last_order_at=of_counted(Max("placed_at")),
    )


def customer_stats_refresh(*, customer: Customer) -> Customer:
    """Recount one customer's order statistics in one UPDATE (see customers_stats_forget)."""
    customers_stats_refresh(customer_ids=[customer.pk])
    return customers_stats_forget([customer])[0]


def customers_stats_forget(customers: Iterable[Customer]) -> list[Customer]:
    """After customers_stats_refresh, the customer objects forget their old figures: they are
    read again, fresh, if something asks for them."""
    customers = list(customers)
    for customer in customers:
        for field in STATS_FIELDS:
            customer.__dict__.pop(field, None)  # deferred: loaded from the database on access
    return customers


def customer_upsert_with_attributes(*, attributes: dict[str, str], **facts) -> Customer:
    """What the shop sends through the customers API: `customer_upsert` (consent from the
    API when `accepts_marketing` is given), then each zero-party answer from the API, all or
    nothing."""
    accepts = facts.get("accepts_marketing")
    with transaction.atomic():
        customer = customer_upsert(**facts, consent_source="api" if accepts is not None else "")
        for key, value in attributes.items():
            attribute_set(customer=customer, key=key, value=value,
                          source_kind=Attribute.SourceKind.API)
    return customer


def customer_staff_save(*, customer: Customer, created: bool,
                        consent_before: bool | None = None) -> Customer:
    """A staff member saves a customer in admin: a new one gets its `customer_created` row
    (reference "staff"). When they changed the consent answer (`consent_before` is what it
    was), the row keeps the old answer and the new one goes through `consent_set` (source
    "staff", with its time and timeline row)."""
    wanted = customer.accepts_marketing
    if consent_before is not None:
        customer.accepts_marketing = consent_before
    customer.save()
    if created:
        activity_record(customer=customer, kind=Activity.Kind.CUSTOMER_CREATED,
                        occurred_at=customer.created_at, reference="staff",
                        key=f"customer:{customer.pk}:created")
    if consent_before is not None:
        consent_set(customer=customer, accepts_marketing=wanted, source="staff")
    return customer


def customer_erase(*, customer: Customer) -> Customer:
    """Erase a customer's personal data on request. Orders and counts stay, anonymous, so the
    shop's totals still add up; answers, identities and the login go."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.erased_at:
            return customer
        emails = [customer.email, *customer.known_emails.values_list("email", flat=True)]
        if customer.user_id:
            emails.append(User.objects.get(pk=customer.user_id).email)
        customer_traces_erase(customer=customer, emails=emails)
        customer.attributes.all().delete()
        customer.external_ids.all().delete()
        customer.known_emails.all().delete()
        customer.activities.update(data={}, reference="")
        if customer.user_id:
            User.objects.filter(pk=customer.user_id).update(
                email=f"erased-user-{customer.user_id}@invalid", first_name="", last_name="",
                is_active=False, password="!",
            )
        customer.email = f"erased-{customer.pk}@invalid"
        customer.first_name = customer.last_name = customer.locale = customer.language = ""
        customer.birthday = None
        customer.user = None
        customer.accepts_marketing = False
        customer.marketing_consent_source = ""
        customer.erased_at = timezone.now()
        customer.save()
        customer_erased.send(sender=Customer, customer=customer, emails=emails)
    return customer


def account_signup(
    *,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    accepts_marketing: bool = False,
) -> User:
    """Create a shopper's login, linked to the customer with the same email (found
    case-insensitively, or created). Marketing consent is recorded, with source "account",
    only when the shopper ticked the box; one email never gets two logins."""
    email = email_normalise(email)
    taken = FlywheelError(
        _("An account with this email address already exists."), code="email_taken",
        fields={"email": _("An account with this email address already exists.")},
    )
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise taken
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email=email, password=password, first_name=first_name.strip(),
                    last_name=last_name.strip(),
                )
        except IntegrityError:
            raise taken from None
        account_open(user=user, accepts_marketing=accepts_marketing)
    return user


def account_open(*, user: User, accepts_marketing: bool) -> Customer:
    """A new login's customer: linked by email, with marketing consent (source "account") only
    when the shopper ticked the box."""
    customer = customer_link_user(user=user)
    if accepts_marketing:
        consent_set(customer=customer, accepts_marketing=True, source="account")
    return customer


def customer_tier_set(*, customer: Customer, tier: str) -> None:
    """Keep the profile's copy of the customer's loyalty tier (the loyalty app owns tiers and
    calls this whenever one changes), so segments can filter on it."""
    customers_tier_set(tiers=[(customer, tier)])


def customers_tier_set(*, tiers: list[tuple[Customer, str]]) -> None:
    """`customer_tier_set` for many customers at once (each with its tier's name), in one
    UPDATE whatever their number."""
    for customer, tier in tiers:
        customer.loyalty_tier = tier[:100]
    update_each(Customer, {customer.pk: {"loyalty_tier": customer.loyalty_tier}
                           for customer, _tier in tiers})


def customer_nps_set(*, customer: Customer, score: int, at: dt.datetime | None = None) -> None:
    """Keep the customer's latest NPS score and category on the profile (the surveys in
    referrals own the answers and call this for each one)."""
    if not 0 <= score <= 10:
        raise FlywheelError(_("An NPS score is a whole number from 0 to 10."),
                            code="invalid_score", fields={"score": _("Choose 0 to 10.")})
    at = at or timezone.now()
    category = NpsCategory.for_score(score)
    Customer.objects.filter(pk=customer.pk).update(
        nps_score=score, nps_category=category, nps_answered_at=at
    )
    customer.nps_score, customer.nps_category, customer.nps_answered_at = score, category, at
