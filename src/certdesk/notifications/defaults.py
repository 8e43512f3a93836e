"""The built-in email texts of every notification type, in English and French.

An MRAO can override them for the customer, a RAO for an organization (Settings → Email
Notifications → Templates); these apply where nobody did. Same language as the templates
administrators write (`templating`): `{{ variable }}` only.
"""
from __future__ import annotations

LANGUAGES = ("en", "fr")

FOOTER = "\n--\ncertdesk, {{ customer }}\n{{ portal_url }}\n"

_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "EVAnchorAwaitingApproval": {
        "en": ("EV anchor awaiting approval: {{ organization }}",
               "Hello {{ recipient_name }},\n\nAn EV anchor was requested for {{ organization }} by {{ requested_by }} "
               "and awaits approval by an MRAO.\n"),
        "fr": ("Ancre EV en attente d'approbation : {{ organization }}",
               "Bonjour {{ recipient_name }},\n\nUne ancre EV a été demandée pour {{ organization }} par "
               "{{ requested_by }} et attend l'approbation d'un MRAO.\n"),
    },
    "DomainAwaitingApproval": {
        "en": ("Domain delegation awaiting approval: {{ domain }}",
               "Hello {{ recipient_name }},\n\n{{ requested_by }} asked for the domain {{ domain }} to be delegated to "
               "{{ delegated_to }} for {{ cert_types }} certificates.\nA RAO of the organization or an MRAO must "
               "approve or reject the delegation (Domains).\n"),
        "fr": ("Délégation de domaine en attente d'approbation : {{ domain }}",
               "Bonjour {{ recipient_name }},\n\n{{ requested_by }} a demandé la délégation du domaine {{ domain }} "
               "à {{ delegated_to }} pour les certificats {{ cert_types }}.\nUn RAO de l'organisation ou un MRAO "
               "doit approuver ou refuser la délégation (Domaines).\n"),
    },
    "DomainApproved": {
        "en": ("Domain delegation approved: {{ domain }}",
               "Hello {{ recipient_name }},\n\nThe delegation of {{ domain }} to {{ delegated_to }} for "
               "{{ cert_types }} certificates was approved by {{ approved_by }}.\n"),
        "fr": ("Délégation de domaine approuvée : {{ domain }}",
               "Bonjour {{ recipient_name }},\n\nLa délégation de {{ domain }} à {{ delegated_to }} pour les "
               "certificats {{ cert_types }} a été approuvée par {{ approved_by }}.\n"),
    },
    "DCVNeeded": {
        "en": ("DCV needed for a new domain: {{ domain }}",
               "Hello {{ recipient_name }},\n\nThe domain {{ domain }} (delegated to {{ delegated_to }}) has no valid "
               "domain control validation yet. A RAO must start its DCV (Domains → DCV) before certificates can be "
               "requested for it.\n"),
        "fr": ("DCV à lancer pour un nouveau domaine : {{ domain }}",
               "Bonjour {{ recipient_name }},\n\nLe domaine {{ domain }} (délégué à {{ delegated_to }}) n'a pas encore "
               "de validation (DCV). Un RAO doit la lancer (Domaines → DCV) avant toute demande de certificat.\n"),
    },
    "DCVValidated": {
        "en": ("DCV validated: {{ domain }}",
               "Hello {{ recipient_name }},\n\nThe domain control validation of {{ domain }} succeeded "
               "({{ dcv_method }}). It is valid until {{ dcv_expires }}.\n"),
        "fr": ("DCV validée : {{ domain }}",
               "Bonjour {{ recipient_name }},\n\nLa validation du domaine {{ domain }} a réussi ({{ dcv_method }}). "
               "Elle est valable jusqu'au {{ dcv_expires }}.\n"),
    },
    "DCVExpiration": {
        "en": ("DCV of {{ domain }} expires in {{ days }} days",
               "Hello {{ recipient_name }},\n\nThe domain control validation of {{ domain }} (delegated to "
               "{{ delegated_to }}) expires on {{ dcv_expires }}, in {{ days }} days. Validate the domain again "
               "before then, or certificates can no longer be issued for it.\n"),
        "fr": ("La DCV de {{ domain }} expire dans {{ days }} jours",
               "Bonjour {{ recipient_name }},\n\nLa validation du domaine {{ domain }} (délégué à {{ delegated_to }}) "
               "expire le {{ dcv_expires }}, dans {{ days }} jours. Relancez la validation avant cette date, sinon "
               "plus aucun certificat ne pourra être émis pour ce domaine.\n"),
    },
    "SSLAwaitingApproval": {
        "en": ("SSL certificate awaiting approval: {{ common_name }}",
               "Hello {{ recipient_name }},\n\nAn SSL certificate for {{ common_name }} ({{ profile }}, "
               "{{ term }} days) was requested by {{ requester }} and awaits approval by a DRAO or RAO.\n"
               "Names: {{ subject_alt_names }}\n{{ certificate_url }}\n"),
        "fr": ("Certificat SSL en attente d'approbation : {{ common_name }}",
               "Bonjour {{ recipient_name }},\n\nUn certificat SSL pour {{ common_name }} ({{ profile }}, "
               "{{ term }} jours) a été demandé par {{ requester }} et attend l'approbation d'un DRAO ou d'un RAO.\n"
               "Noms : {{ subject_alt_names }}\n{{ certificate_url }}\n"),
    },
    "SSLApproved": {
        "en": ("SSL certificate approved: {{ common_name }}",
               "Hello {{ recipient_name }},\n\nThe SSL certificate request for {{ common_name }} was approved by "
               "{{ approver }}.\n{{ certificate_url }}\n"),
        "fr": ("Certificat SSL approuvé : {{ common_name }}",
               "Bonjour {{ recipient_name }},\n\nLa demande de certificat SSL pour {{ common_name }} a été approuvée "
               "par {{ approver }}.\n{{ certificate_url }}\n"),
    },
    "SSLDeclined": {
        "en": ("SSL certificate declined: {{ common_name }}",
               "Hello {{ recipient_name }},\n\nThe SSL certificate request for {{ common_name }} was declined by "
               "{{ approver }}.\nReason: {{ reason }}\n{{ certificate_url }}\n"),
        "fr": ("Certificat SSL refusé : {{ common_name }}",
               "Bonjour {{ recipient_name }},\n\nLa demande de certificat SSL pour {{ common_name }} a été refusée "
               "par {{ approver }}.\nMotif : {{ reason }}\n{{ certificate_url }}\n"),
    },
    "SSLIssued": {
        "en": ("Your SSL certificate for {{ common_name }} is ready",
               "Hello {{ recipient_name }},\n\nThe SSL certificate for {{ common_name }} has been issued.\n"
               "Serial number: {{ serial_number }}\nValid until: {{ expires }}\n\nDownload it:\n"
               "{{ download_links }}\n"),
        "fr": ("Votre certificat SSL pour {{ common_name }} est prêt",
               "Bonjour {{ recipient_name }},\n\nLe certificat SSL pour {{ common_name }} a été émis.\n"
               "Numéro de série : {{ serial_number }}\nValable jusqu'au : {{ expires }}\n\nTéléchargez-le :\n"
               "{{ download_links }}\n"),
    },
    "SSLIssuanceFailed": {
        "en": ("SSL certificate issuance failed: {{ common_name }}",
               "Hello {{ recipient_name }},\n\nThe SSL certificate for {{ common_name }} could not be issued.\n"
               "Error: {{ error }}\n{{ certificate_url }}\n"),
        "fr": ("Échec de l'émission du certificat SSL : {{ common_name }}",
               "Bonjour {{ recipient_name }},\n\nLe certificat SSL pour {{ common_name }} n'a pas pu être émis.\n"
               "Erreur : {{ error }}\n{{ certificate_url }}\n"),
    },
    "SSLAutoRenewalFailed": {
        "en": ("SSL certificate auto-renewal failed: {{ common_name }}",
               "Hello {{ recipient_name }},\n\nThe automatic renewal of the SSL certificate for {{ common_name }} "
               "(expiring {{ expires }}) failed.\nError: {{ error }}\n{{ certificate_url }}\n"),
        "fr": ("Échec du renouvellement automatique du certificat SSL : {{ common_name }}",
               "Bonjour {{ recipient_name }},\n\nLe renouvellement automatique du certificat SSL pour "
               "{{ common_name }} (qui expire le {{ expires }}) a échoué.\nErreur : {{ error }}\n"
               "{{ certificate_url }}\n"),
    },
    "SSLRevoked": {
        "en": ("SSL certificate revoked: {{ common_name }}",
               "Hello {{ recipient_name }},\n\nThe SSL certificate for {{ common_name }} (serial number "
               "{{ serial_number }}) was revoked.\nReason: {{ reason }}\n{{ certificate_url }}\n"),
        "fr": ("Certificat SSL révoqué : {{ common_name }}",
               "Bonjour {{ recipient_name }},\n\nLe certificat SSL pour {{ common_name }} (numéro de série "
               "{{ serial_number }}) a été révoqué.\nMotif : {{ reason }}\n{{ certificate_url }}\n"),
    },
    "SSLExpiration": {
        "en": ("SSL certificate for {{ common_name }} expires in {{ days }} days",
               "Hello {{ recipient_name }},\n\nThe SSL certificate for {{ common_name }} (serial number "
               "{{ serial_number }}) expires on {{ expires }}, in {{ days }} days. Renew it before then.\n"
               "{{ certificate_url }}\n"),
        "fr": ("Le certificat SSL pour {{ common_name }} expire dans {{ days }} jours",
               "Bonjour {{ recipient_name }},\n\nLe certificat SSL pour {{ common_name }} (numéro de série "
               "{{ serial_number }}) expire le {{ expires }}, dans {{ days }} jours. Renouvelez-le avant cette "
               "date.\n{{ certificate_url }}\n"),
    },
    "ClientCertRevoked": {
        "en": ("Client certificate revoked: {{ email }}",
               "Hello {{ recipient_name }},\n\nThe client certificate of {{ email }} ({{ subject }}, serial number "
               "{{ serial_number }}) was revoked.\nReason: {{ reason }}\n{{ certificate_url }}\n"),
        "fr": ("Certificat client révoqué : {{ email }}",
               "Bonjour {{ recipient_name }},\n\nLe certificat client de {{ email }} ({{ subject }}, numéro de série "
               "{{ serial_number }}) a été révoqué.\nMotif : {{ reason }}\n{{ certificate_url }}\n"),
    },
    "ClientCertExpiration": {
        "en": ("Client certificate of {{ email }} expires in {{ days }} days",
               "Hello {{ recipient_name }},\n\nThe client certificate of {{ email }} ({{ subject }}) expires on "
               "{{ expires }}, in {{ days }} days.\n{{ certificate_url }}\n"),
        "fr": ("Le certificat client de {{ email }} expire dans {{ days }} jours",
               "Bonjour {{ recipient_name }},\n\nLe certificat client de {{ email }} ({{ subject }}) expire le "
               "{{ expires }}, dans {{ days }} jours.\n{{ certificate_url }}\n"),
    },
    "CodeSigningRevoked": {
        "en": ("Code signing certificate revoked: {{ subject }}",
               "Hello {{ recipient_name }},\n\nThe code signing certificate {{ subject }} (serial number "
               "{{ serial_number }}) was revoked.\nReason: {{ reason }}\n{{ certificate_url }}\n"),
        "fr": ("Certificat de signature de code révoqué : {{ subject }}",
               "Bonjour {{ recipient_name }},\n\nLe certificat de signature de code {{ subject }} (numéro de série "
               "{{ serial_number }}) a été révoqué.\nMotif : {{ reason }}\n{{ certificate_url }}\n"),
    },
    "CodeSigningExpiration": {
        "en": ("Code signing certificate expires in {{ days }} days: {{ subject }}",
               "Hello {{ recipient_name }},\n\nThe code signing certificate {{ subject }} (serial number "
               "{{ serial_number }}) expires on {{ expires }}, in {{ days }} days.\n{{ certificate_url }}\n"),
        "fr": ("Le certificat de signature de code expire dans {{ days }} jours : {{ subject }}",
               "Bonjour {{ recipient_name }},\n\nLe certificat de signature de code {{ subject }} (numéro de série "
               "{{ serial_number }}) expire le {{ expires }}, dans {{ days }} jours.\n{{ certificate_url }}\n"),
    },
    "OrganizationValidationExpiration": {
        "en": ("{{ validation_level }} validation of {{ organization }} expires in {{ days }} days",
               "Hello {{ recipient_name }},\n\nThe {{ validation_level }} validation of {{ organization }} expires on "
               "{{ expires }}, in {{ days }} days. After that date no new certificate can be issued for "
               "{{ organization }} or its departments until it is validated again.\nAn MRAO can submit the "
               "revalidation now (Organizations → {{ organization }} → Validation):\n{{ organization_url }}\n"),
        "fr": ("La validation {{ validation_level }} de {{ organization }} expire dans {{ days }} jours",
               "Bonjour {{ recipient_name }},\n\nLa validation {{ validation_level }} de {{ organization }} expire le "
               "{{ expires }}, dans {{ days }} jours. Après cette date, plus aucun certificat ne pourra être émis "
               "pour {{ organization }} ni pour ses départements tant qu'elle n'aura pas été renouvelée.\nUn MRAO "
               "peut dès maintenant soumettre la revalidation (Organisations → {{ organization }} → Validation) :\n"
               "{{ organization_url }}\n"),
    },
    "OrganizationValidationExpired": {
        "en": ("{{ validation_level }} validation of {{ organization }} has expired",
               "Hello {{ recipient_name }},\n\nThe {{ validation_level }} validation of {{ organization }} expired on "
               "{{ expires }}. No new certificate can be issued for {{ organization }} or its departments until "
               "an MRAO submits a new validation and another MRAO approves it:\n{{ organization_url }}\n"),
        "fr": ("La validation {{ validation_level }} de {{ organization }} a expiré",
               "Bonjour {{ recipient_name }},\n\nLa validation {{ validation_level }} de {{ organization }} a expiré "
               "le {{ expires }}. Aucun nouveau certificat ne peut être émis pour {{ organization }} ni pour ses "
               "départements tant qu'un MRAO n'a pas soumis une nouvelle validation et qu'un autre MRAO ne l'a "
               "pas approuvée :\n{{ organization_url }}\n"),
    },
    "ClientCertInvitation": {
        "en": ("Create your client certificate ({{ organization }})",
               "Hello {{ person_name }},\n\n{{ invited_by }} invites you to create your client certificate "
               "({{ profile }}, {{ term }} days) for {{ email }}.\nFollow this link, choose a passphrase and "
               "download your certificate with its private key (a PKCS#12 file):\n{{ invitation_url }}\n\n"
               "The link works once, until {{ expires }}. Do not forward this message: whoever follows the "
               "link gets a certificate in your name.\n"),
        "fr": ("Créez votre certificat client ({{ organization }})",
               "Bonjour {{ person_name }},\n\n{{ invited_by }} vous invite à créer votre certificat client "
               "({{ profile }}, {{ term }} jours) pour {{ email }}.\nSuivez ce lien, choisissez une phrase de "
               "passe et téléchargez votre certificat avec sa clé privée (un fichier PKCS#12) :\n"
               "{{ invitation_url }}\n\nLe lien ne sert qu'une fois, jusqu'au {{ expires }}. Ne transférez pas "
               "ce message : quiconque suit le lien obtient un certificat à votre nom.\n"),
    },
    "AdminCreation": {
        "en": ("Your certdesk administrator account ({{ login }})",
               "Hello {{ admin_name }},\n\nAn administrator account was created for you by {{ created_by }}.\n"
               "Login: {{ login }}\nRoles: {{ roles }}\n\nLog in at {{ login_url }} with the initial password "
               "given to you by {{ created_by }}; you will be asked to choose your own.\n"),
        "fr": ("Votre compte administrateur certdesk ({{ login }})",
               "Bonjour {{ admin_name }},\n\nUn compte administrateur a été créé pour vous par {{ created_by }}.\n"
               "Identifiant : {{ login }}\nRôles : {{ roles }}\n\nConnectez-vous sur {{ login_url }} avec le mot de "
               "passe initial que {{ created_by }} vous a transmis ; il vous sera demandé d'en choisir un autre.\n"),
    },
}


def text(code: str, language: str) -> tuple[str, str]:
    """(subject, body) of the built-in template, English when the language has none."""
    texts = _TEXTS[code]
    subject, body = texts.get(language) or texts["en"]
    return subject, body + FOOTER
