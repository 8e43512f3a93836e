"""The notification types: seed 000's built-in table ("Les notifications automatiques suivantes
sont déjà activées pour l'ensemble des organisations"), named as the SCM API names them
(`GET /api/notification/v1/types`: SSLExpiration, SSLRevoked, AdminCreation, ...).

Each type says who gets it by default (the requester, the DRAO of the department, the RAO of
the organization, the MRAOs of the customer), for which certificate type the RAO/DRAO roles
count, when (immediately, or N days before an expiry), and which template variables exist.
Seed 000's table marks three or four of its four columns (Demandeur, DRAO, RAO, MRAO): three
marks are read as the three admin levels, four as everyone.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from certdesk.core.i18n import msg
from certdesk.tenancy.models import CertType


class Recipient:
    REQUESTER = "REQUESTER"
    DRAO = "DRAO"
    RAO = "RAO"
    MRAO = "MRAO"

    ALL = (REQUESTER, DRAO, RAO, MRAO)
    LABELS = {REQUESTER: _("Requester"), DRAO: _("DRAO of the department"), RAO: _("RAO of the organization"),
              MRAO: _("MRAO")}


ADMINS = (Recipient.DRAO, Recipient.RAO, Recipient.MRAO)
EVERYONE = Recipient.ALL

# Variables every template may use.
COMMON_VARIABLES = {
    "customer": "RENATER",
    "organization": "Universite de Lyon",
    "department": "Physics",
    "portal_url": "https://certdesk.example.org/",
    "event_date": "2026-03-02 09:30 UTC",
    "recipient_name": "Rachel Orga",
}

_DOMAIN = {"domain": "www.univ-lyon.example", "delegated_to": "Universite de Lyon / Physics",
           "cert_types": "SSL, SMIME", "requested_by": "Denis Physique (drao_physics)"}
_DCV = {"domain": "univ-lyon.example", "delegated_to": "Universite de Lyon", "dcv_method": "CNAME",
        "dcv_expires": "2026-09-18"}
_SSL = {"certificate_id": "1234", "common_name": "www.univ-lyon.example",
        "subject_alt_names": "www.univ-lyon.example, univ-lyon.example", "profile": "OV SSL", "term": "365",
        "requester": "Denis Physique <drao@physics.univ-lyon.example>", "status": "ISSUED",
        "certificate_url": "https://certdesk.example.org/certificates/1234/"}
_CLIENT = {"certificate_id": "5678", "subject": "CN=Jean Dupont, O=Universite de Lyon",
           "email": "jean.dupont@univ-lyon.example", "serial_number": "4A:1F:09:33", "expires": "2026-04-01",
           "certificate_url": "https://certdesk.example.org/certificates/5678/"}
_CODESIGN = {"certificate_id": "9012", "subject": "CN=Universite de Lyon, O=Universite de Lyon",
             "serial_number": "7B:22:10:05", "expires": "2026-04-01",
             "certificate_url": "https://certdesk.example.org/certificates/9012/"}

_ORG_VALIDATION = {"expires": "2026-04-01", "validation_level": "OV",
                   "organization_url": "https://certdesk.example.org/organizations/12/"}


@dataclass(frozen=True)
class NotificationType:
    code: str                       # the SCM type name, used everywhere (API, database, events)
    title: str                      # seed 000's wording, English (built-in rule description)
    label: object                   # translated label for the portal
    recipients: tuple[str, ...]     # default recipients of the built-in rule
    cert_type: str | None = None    # RAO/DRAO roles of this certificate type only (None: any)
    days: tuple[int, ...] = ()      # expiry types: days before expiry (built-in)
    samples: dict[str, str] = field(default_factory=dict)  # type variables -> sample values (preview)

    @property
    def is_expiry(self) -> bool:
        return bool(self.days)

    @property
    def variables(self) -> dict[str, str]:
        return {**COMMON_VARIABLES, **self.samples}

    @property
    def builtin_description(self) -> str:
        return f"ALL ORG - {self.title}"


def _t(code, title, label, recipients, *, cert_type=None, days=(), samples=None) -> NotificationType:
    return NotificationType(code, title, label, tuple(recipients), cert_type, tuple(days), dict(samples or {}))


TYPES: tuple[NotificationType, ...] = (
    _t("EVAnchorAwaitingApproval", "EV Anchor awaiting Approval", _("EV anchor awaiting approval"), ADMINS,
       samples={"requested_by": "Master Administrator (mrao)", "validation_level": "EV"}),
    _t("DomainAwaitingApproval", "Domain Delegation Awaiting Approval", _("Domain delegation awaiting approval"),
       ADMINS, samples=_DOMAIN),
    _t("DomainApproved", "Domain Delegation Approved", _("Domain delegation approved"), ADMINS,
       samples={**_DOMAIN, "approved_by": "Rachel Orga (rao_univ)"}),
    _t("DCVNeeded", "DCV Needed - New Domain", _("DCV needed for a new domain"), ADMINS,
       samples={"domain": _DCV["domain"], "delegated_to": _DCV["delegated_to"]}),
    _t("DCVValidated", "DCV Validated", _("DCV validated"), ADMINS, samples=_DCV),
    _t("DCVExpiration", "DCV Expiration XX days", _("DCV expiring"), ADMINS, days=(30, 15),
       samples={**_DCV, "days": "30"}),
    _t("SSLAwaitingApproval", "SSL Certificate Awaiting Approval", _("SSL certificate awaiting approval"), ADMINS,
       cert_type=CertType.SSL, samples={**_SSL, "status": "REQUESTED"}),
    _t("SSLApproved", "SSL Certificate Approved", _("SSL certificate approved"), ADMINS, cert_type=CertType.SSL,
       samples={**_SSL, "status": "APPLIED", "approver": "Rachel Orga (rao_univ)"}),
    _t("SSLDeclined", "SSL Certificate Declined", _("SSL certificate declined"), ADMINS, cert_type=CertType.SSL,
       samples={**_SSL, "status": "DECLINED", "approver": "Rachel Orga (rao_univ)",
                "reason": "The host name is not in use any more."}),
    _t("SSLIssued", "SSL Certificate Issued", _("SSL certificate issued (to the requester, with download links)"),
       (Recipient.REQUESTER,), cert_type=CertType.SSL,
       samples={**_SSL, "serial_number": "5E:0D:AA:01", "expires": "2027-03-02",
                "download_links": "PEM certificate and chain: https://certdesk.example.org/d/1234/pem\n"
                                  "PKCS#7: https://certdesk.example.org/d/1234/p7b"}),
    _t("SSLIssuanceFailed", "SSL Certificate Issuance Failed", _("SSL certificate issuance failed"), EVERYONE,
       cert_type=CertType.SSL, samples={**_SSL, "status": "INVALID",
                                        "error": "Anchor Certificate address details are different"}),
    _t("SSLAutoRenewalFailed", "SSL Certificate Auto-Renewal Failed", _("SSL certificate auto-renewal failed"),
       EVERYONE, cert_type=CertType.SSL,
       samples={**_SSL, "expires": "2026-04-01", "error": "The DCV of univ-lyon.example has expired."}),
    _t("SSLRevoked", "SSL Certificate Revoked", _("SSL certificate revoked"), ADMINS, cert_type=CertType.SSL,
       samples={**_SSL, "status": "REVOKED", "serial_number": "5E:0D:AA:01", "reason": "keyCompromise"}),
    _t("SSLExpiration", "SSL Certificate Expiration", _("SSL certificate expiring"), ADMINS,
       cert_type=CertType.SSL, days=(30,),
       samples={**_SSL, "serial_number": "5E:0D:AA:01", "expires": "2026-04-01", "days": "30",
                # several certificates of one organization at once (the daily sweep groups them)
                "certificate_count": "1",
                "certificates": "www.univ-lyon.example (#1234, serial 5E:0D:AA:01, 2026-04-01)"}),
    _t("ClientCertRevoked", "Client Certificate Revoked", _("Client certificate revoked"), ADMINS,
       cert_type=CertType.SMIME, samples={**_CLIENT, "reason": "affiliationChanged"}),
    _t("ClientCertExpiration", "Client Certificate Expiration 30 days", _("Client certificate expiring"), ADMINS,
       cert_type=CertType.SMIME, days=(30,), samples={**_CLIENT, "days": "30"}),
    _t("CodeSigningRevoked", "Code Signing Certificate Revoked", _("Code signing certificate revoked"), ADMINS,
       cert_type=CertType.CODESIGN, samples={**_CODESIGN, "reason": "keyCompromise"}),
    _t("CodeSigningExpiration", "Code Signing Certificate Expiration 30 days", _("Code signing certificate expiring"),
       ADMINS, cert_type=CertType.CODESIGN, days=(30,), samples={**_CODESIGN, "days": "30"}),
    # Issue 7: organization revalidation reminders (tenancy.reminders), to the MRAOs and the RAOs.
    _t("OrganizationValidationExpiration", "Organization Validation Expiration 60/30/7 days",
       _("Organization validation expiring"), (Recipient.RAO, Recipient.MRAO), days=(60, 30, 7),
       samples=_ORG_VALIDATION | {"days": "30"}),
    _t("OrganizationValidationExpired", "Organization Validation Expired", _("Organization validation expired"),
       (Recipient.RAO, Recipient.MRAO), samples=_ORG_VALIDATION),
    # Persons → Send invitation (enrollment.invitations): to the person, with the link to follow.
    _t("ClientCertInvitation", "Client Certificate Invitation",
       _("Client certificate invitation (to the person, with the link)"), (Recipient.REQUESTER,),
       cert_type=CertType.SMIME,
       samples={"email": "jean.dupont@univ-lyon.example", "person_name": "Jean Dupont",
                "profile": "GÉANT Personal Certificate", "term": "365", "expires": "2026-03-09",
                "invited_by": "Rachel Orga (rao_univ)",
                "invitation_url": "https://certdesk.example.org/enroll/invitation/Xy7…/"}),
    _t("AdminCreation", "New Admin Created", _("New admin created (to the new admin)"), (Recipient.REQUESTER,),
       samples={"login": "rao_univ", "admin_name": "Rachel Orga", "created_by": "mrao",
                "roles": "RAO_SSL @ Universite de Lyon", "login_url": "https://certdesk.example.org/customer/renater/"}),
)

BY_CODE: dict[str, NotificationType] = {t.code: t for t in TYPES}

# Names for the emitting apps (certificates.signals receivers, domains receivers).
EV_ANCHOR_AWAITING_APPROVAL = "EVAnchorAwaitingApproval"
DOMAIN_AWAITING_APPROVAL = "DomainAwaitingApproval"
DOMAIN_APPROVED = "DomainApproved"
DCV_NEEDED = "DCVNeeded"
DCV_VALIDATED = "DCVValidated"
DCV_EXPIRATION = "DCVExpiration"
SSL_AWAITING_APPROVAL = "SSLAwaitingApproval"
SSL_APPROVED = "SSLApproved"
SSL_DECLINED = "SSLDeclined"
SSL_ISSUED = "SSLIssued"
SSL_ISSUANCE_FAILED = "SSLIssuanceFailed"
SSL_AUTO_RENEWAL_FAILED = "SSLAutoRenewalFailed"
SSL_REVOKED = "SSLRevoked"
SSL_EXPIRATION = "SSLExpiration"
CLIENT_CERT_REVOKED = "ClientCertRevoked"
CLIENT_CERT_EXPIRATION = "ClientCertExpiration"
CODE_SIGNING_REVOKED = "CodeSigningRevoked"
CODE_SIGNING_EXPIRATION = "CodeSigningExpiration"
ADMIN_CREATION = "AdminCreation"
CLIENT_CERT_INVITATION = "ClientCertInvitation"
ORG_VALIDATION_EXPIRATION = "OrganizationValidationExpiration"
ORG_VALIDATION_EXPIRED = "OrganizationValidationExpired"


def get(code: str) -> NotificationType:
    try:
        return BY_CODE[code]
    except KeyError:
        raise ValueError(f"unknown notification type {code!r}") from None


def parse(code, *, field: str = "type") -> NotificationType:
    """A type named by a user (case-insensitive), or InvalidInput listing the known ones."""
    from certdesk.core.errors import InvalidInput

    text = str(code or "").strip()
    for t in TYPES:
        if t.code.lower() == text.lower():
            return t
    raise InvalidInput(msg("Unknown notification type '%(text)s'. Known types: %(types)s.",
                           text=text, types=', '.join(BY_CODE)), field=field)
