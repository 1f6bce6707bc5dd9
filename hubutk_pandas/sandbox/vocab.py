"""Vocabulary of the synthetic portal: names, companies, forms, lists and property definitions.

Everything here is constant; ``data.py`` draws from it with per-contact seeded RNGs.
"""

from __future__ import annotations

from typing import Any

from hubutk_pandas.sandbox.lead_vocab import lead_property_rows

#: Fixed "now" of every sandbox portal (2025-06-01T00:00:00Z, epoch ms): no wall clock.
REFERENCE_MS = 1_748_736_000_000
DAY_MS = 86_400_000
#: Contacts are created over the ~18 months before the reference date.
HISTORY_DAYS = 540

FIRST_NAMES = (
    "Zoë",
    "José",
    "Łukasz",
    "Søren",
    "李",
    "Amélie",
    "Björn",
    "Chloé",
    "Dmitri",
    "Emma",
    "François",
    "Grace",
    "Hiroshi",
    "Ingrid",
    "Jamal",
    "Karin",
    "Liam",
    "María",
    "Noah",
    "Olga",
    "Priya",
    "Quentin",
    "Rafael",
    "Sofia",
    "Tomás",
    "Uma",
    "Wei",
    "Yara",
    "Zeynep",
    "Ana",
    "Ben",
    "Clara",
    "David",
    "Elena",
    "Felix",
    "Hannah",
    "Ivan",
    "Julia",
    "Kenji",
)
LAST_NAMES = (
    "Müller",
    "García",
    "Kowalski",
    "Ødegaard",
    "王",
    "Smith",
    "Johnson",
    "Nguyen",
    "Rossi",
    "Dubois",
    "Novák",
    "Schröder",
    "Yılmaz",
    "Okafor",
    "Tanaka",
    "Silva",
    "Andersson",
    "Brown",
    "Lefèvre",
    "Horvát",
    "Costa",
    "Peña",
    "Ivanova",
    "Kim",
    "Patel",
    "O'Brien",
)
JOB_TITLES = (
    "Marketing Manager",
    "Head of Growth",
    "CTO",
    "Data Analyst",
    "Sales Director",
    "Product Manager",
    "CEO",
    "Software Engineer",
    "Operations Lead",
    "VP Marketing",
    "Customer Success Manager",
    "Consultant",
    "",
)
CITIES = (
    ("Berlin", "Germany"),
    ("Madrid", "Spain"),
    ("Kraków", "Poland"),
    ("Copenhagen", "Denmark"),
    ("Shanghai", "China"),
    ("Boston", "United States"),
    ("Austin", "United States"),
    ("London", "United Kingdom"),
    ("Paris", "France"),
    ("São Paulo", "Brazil"),
    ("Tokyo", "Japan"),
    ("Bengaluru", "India"),
    ("Toronto", "Canada"),
    ("Zürich", "Switzerland"),
)
COMPANIES = (
    ("Acme Analytics", "acme-analytics.example", "COMPUTER_SOFTWARE"),
    ("Blue Fjord AS", "bluefjord.example", "MARKETING_AND_ADVERTISING"),
    ("Café Lumière", "cafe-lumiere.example", "FOOD_BEVERAGES"),
    ("Drako Logistics", "drako.example", "LOGISTICS_AND_SUPPLY_CHAIN"),
    ("Eisenwerk GmbH", "eisenwerk.example", "MACHINERY"),
    ("Fénix Salud", "fenix-salud.example", "HOSPITAL_HEALTH_CARE"),
    ("Globex", "globex.example", "FINANCIAL_SERVICES"),
    ("Hikari Robotics", "hikari.example", "ROBOTICS"),
    ("Initech", "initech.example", "INFORMATION_TECHNOLOGY_AND_SERVICES"),
    ("Jasmine Retail", "jasmine.example", "RETAIL"),
    ("Kraków Code", "krakowcode.example", "COMPUTER_SOFTWARE"),
    ("Lotus Education", "lotus-edu.example", "EDUCATION_MANAGEMENT"),
    ("Meridian Energy", "meridian.example", "RENEWABLES_ENVIRONMENT"),
    ("Nordlys Media", "nordlys.example", "ONLINE_MEDIA"),
    ("Orbit Travel", "orbit.example", "LEISURE_TRAVEL_TOURISM"),
    ("Pangea Foods", "pangea.example", "FOOD_PRODUCTION"),
)
EMAIL_DOMAINS = ("gmail.example", "outlook.example", "proton.example", "yahoo.example")

LIFECYCLE_STAGES = (
    ("subscriber", "Subscriber"),
    ("lead", "Lead"),
    ("marketingqualifiedlead", "Marketing Qualified Lead"),
    ("salesqualifiedlead", "Sales Qualified Lead"),
    ("opportunity", "Opportunity"),
    ("customer", "Customer"),
    ("evangelist", "Evangelist"),
    ("other", "Other"),
)
#: Source type that typically moves a contact *into* each stage.
STAGE_SOURCES = {
    "subscriber": "FORM",
    "lead": "FORM",
    "marketingqualifiedlead": "WORKFLOWS",
    "salesqualifiedlead": "CONTACTS_WEB",
    "opportunity": "CONTACTS_WEB",
    "customer": "INTEGRATION",
    "evangelist": "CONTACTS_WEB",
    "other": "API",
}
#: (value, label, weight): a skewed traffic-source mix.
ANALYTICS_SOURCES = (
    ("ORGANIC_SEARCH", "Organic Search", 34),
    ("DIRECT_TRAFFIC", "Direct Traffic", 20),
    ("PAID_SEARCH", "Paid Search", 13),
    ("EMAIL_MARKETING", "Email Marketing", 10),
    ("SOCIAL_MEDIA", "Organic Social", 8),
    ("REFERRALS", "Referrals", 7),
    ("PAID_SOCIAL", "Paid Social", 4),
    ("OTHER_CAMPAIGNS", "Other Campaigns", 3),
    ("OFFLINE", "Offline Sources", 1),
)
BUYING_ROLES = (
    ("BLOCKER", "Blocker"),
    ("BUDGET_HOLDER", "Budget Holder"),
    ("CHAMPION", "Champion"),
    ("DECISION_MAKER", "Decision Maker"),
    ("END_USER", "End User"),
    ("EXECUTIVE_SPONSOR", "Executive Sponsor"),
    ("INFLUENCER", "Influencer"),
)
#: (form title, page path, page title); form ids are derived per portal.
FORMS = (
    ("Newsletter signup", "/blog", "The Acme Blog"),
    ("Download the 2025 benchmark report", "/resources/benchmark-2025", "Benchmark report 2025"),
    ("Request a demo", "/demo", "Book a demo"),
    ("Start your free trial", "/pricing", "Pricing"),
    ("Contact us", "/contact", "Contact us"),
    ("Webinar registration", "/webinars/pandas-for-marketers", "Webinar: pandas for marketers"),
)
FORM_WEIGHTS = (30, 22, 12, 16, 10, 10)
LISTS = (
    "Newsletter subscribers",
    "Benchmark downloaders",
    "Demo requests",
    "Trial users",
    "Webinar attendees",
    "Customers",
    "Re-engagement",
    "EMEA contacts",
    "Unsubscribed",
    "Event leads",
)
#: The Lists API ``processingType`` of each list of :data:`LISTS` (same order).
LIST_PROCESSING = (
    "DYNAMIC",
    "DYNAMIC",
    "DYNAMIC",
    "DYNAMIC",
    "MANUAL",
    "DYNAMIC",
    "SNAPSHOT",
    "DYNAMIC",
    "DYNAMIC",
    "MANUAL",
)
SITE = "https://www.acme-analytics.example"


def _options(pairs: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [
        {
            "label": label,
            "value": value,
            "displayOrder": order,
            "hidden": False,
            "description": None,
            "readOnly": False,
            "doubleData": None,
        }
        for order, (value, label) in enumerate(pairs)
    ]


_BOOL_OPTIONS = (("true", "Yes"), ("false", "No"))

# name, label, groupName, type, fieldType, options, calculated, hubspotDefined
_PROPERTIES: tuple[tuple[str, str, str, str, str, Any, bool, bool], ...] = (
    ("firstname", "First Name", "contactinformation", "string", "text", (), False, True),
    ("lastname", "Last Name", "contactinformation", "string", "text", (), False, True),
    ("email", "Email", "contactinformation", "string", "text", (), False, True),
    ("company", "Company Name", "contactinformation", "string", "text", (), False, True),
    ("jobtitle", "Job Title", "contactinformation", "string", "text", (), False, True),
    ("phone", "Phone Number", "contactinformation", "string", "text", (), False, True),
    (
        "mobilephone",
        "Mobile Phone Number",
        "contactinformation",
        "phone_number",
        "text",
        (),
        False,
        True,
    ),
    ("city", "City", "contactinformation", "string", "text", (), False, True),
    ("country", "Country/Region", "contactinformation", "string", "text", (), False, True),
    (
        "lifecyclestage",
        "Lifecycle Stage",
        "contactinformation",
        "enumeration",
        "radio",
        LIFECYCLE_STAGES,
        False,
        True,
    ),
    (
        "hs_analytics_source",
        "Original Source",
        "analyticsinformation",
        "enumeration",
        "select",
        tuple((v, label) for v, label, _ in ANALYTICS_SOURCES),
        True,
        True,
    ),
    (
        "hs_analytics_num_visits",
        "Number of Sessions",
        "analyticsinformation",
        "number",
        "number",
        (),
        True,
        True,
    ),
    (
        "hs_analytics_num_page_views",
        "Number of Pageviews",
        "analyticsinformation",
        "number",
        "number",
        (),
        True,
        True,
    ),
    (
        "hs_analytics_first_timestamp",
        "Time First Seen",
        "analyticsinformation",
        "datetime",
        "text",
        (),
        True,
        True,
    ),
    (
        "hs_analytics_first_url",
        "First Page Seen",
        "analyticsinformation",
        "string",
        "text",
        (),
        True,
        True,
    ),
    ("hubspotscore", "HubSpot Score", "contactinformation", "number", "number", (), True, True),
    ("createdate", "Create Date", "contactinformation", "datetime", "text", (), False, True),
    (
        "lastmodifieddate",
        "Last Modified Date",
        "contactinformation",
        "datetime",
        "text",
        (),
        True,
        True,
    ),
    (
        "hs_email_optout",
        "Unsubscribed from all email",
        "contactinformation",
        "enumeration",
        "booleancheckbox",
        _BOOL_OPTIONS,
        False,
        True,
    ),
    (
        "hs_buying_role",
        "Buying Role",
        "contactinformation",
        "enumeration",
        "checkbox",
        BUYING_ROLES,
        False,
        True,
    ),
    ("annualrevenue", "Annual Revenue", "contactinformation", "number", "number", (), False, True),
    (
        "associatedcompanyid",
        "Associated Company ID",
        "contactinformation",
        "number",
        "number",
        (),
        True,
        True,
    ),
    ("trial_start_date", "Trial start date", "product", "date", "date", (), False, False),
    (
        "product_qualified",
        "Product qualified",
        "product",
        "bool",
        "booleancheckbox",
        _BOOL_OPTIONS,
        False,
        False,
    ),
)


def property_definitions() -> list[dict[str, Any]]:
    """Return the portal's contact property definitions, as ``/properties/v1`` sends them.

    Examples
    --------
    >>> defs = {d["name"]: d for d in property_definitions()}
    >>> defs["lifecyclestage"]["type"], defs["lifecyclestage"]["options"][0]["value"]
    ('enumeration', 'subscriber')
    """
    sources = tuple((v, label) for v, label, _ in ANALYTICS_SOURCES)
    rows = (*_PROPERTIES, *lead_property_rows(LIFECYCLE_STAGES, sources))
    out = []
    for order, (name, label, group, typ, field, options, calculated, builtin) in enumerate(rows):
        out.append(
            {
                "name": name,
                "label": label,
                "description": f"The contact's {label.lower()}.",
                "groupName": group,
                "type": typ,
                "fieldType": field,
                "options": _options(options),
                "hidden": False,
                "deleted": False,
                "createdAt": None if builtin else 1_700_000_000_000 + order,
                "updatedAt": None if builtin else 1_700_000_000_000 + order,
                "hubspotDefined": True if builtin else None,
                "formField": field in ("text", "select", "radio", "checkbox", "booleancheckbox"),
                "displayOrder": -1 if builtin else order,
                "readOnlyValue": calculated,
                "readOnlyDefinition": builtin,
                "mutableDefinitionNotDeletable": builtin,
                "favorited": False,
                "favoritedOrder": -1,
                "calculated": calculated,
                "externalOptions": False,
                "displayMode": "current_value",
                "showCurrencySymbol": name == "annualrevenue",
                "createdUserId": None,
                "updatedUserId": None,
                "textDisplayHint": None,
                "numberDisplayHint": "formatted" if typ == "number" else None,
                "optionsAreMutable": None,
                "referencedObjectType": None,
                "isCustomizedDefault": False,
                "searchableInGlobalSearch": name in ("firstname", "lastname", "email"),
                "currencyPropertyName": None,
                "hasUniqueValue": name == "email",
            }
        )
    return out
