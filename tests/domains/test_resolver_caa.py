"""DNS lookups through the loopback test server, and CAA (RFC 8659) decisions."""
import pytest

from certdesk.domains import caa, resolver

pytestmark = pytest.mark.slow


def test_resolver_list_parsing():
    assert resolver.parse_resolvers(["127.0.0.1:5353", "[::1]:53", "9.9.9.9", "::1", " "]) == [
        ("127.0.0.1", 5353), ("::1", 53), ("9.9.9.9", 53), ("::1", 53),
    ]


def test_lookup_finds_records_and_follows_cnames(dns):
    dns.add('www.univ.test. 60 IN CNAME web.univ.test.', 'web.univ.test. 60 IN A 127.0.0.1',
            '_x.univ.test. 60 IN TXT "part1" "part2"')
    assert resolver.addresses("www.univ.test") == ["127.0.0.1"]
    assert resolver.txt_strings(resolver.lookup("_x.univ.test", "TXT")) == ["part1part2"]
    absent = resolver.lookup("nothing.univ.test", "TXT")
    assert not absent and absent.nxdomain


def test_servfail_is_a_failure_with_the_reason(dns):
    dns.servfail.add("broken.univ.test")
    with pytest.raises(resolver.DnsFailure) as exc:
        resolver.lookup("broken.univ.test", "TXT")
    assert "SERVFAIL" in exc.value.reason
    assert "DNSSEC" in exc.value.reason


def test_timeout_is_a_failure_with_the_reason(dns, settings):
    settings.DNS_TIMEOUT = 0.4
    dns.silent.add("slow.univ.test")
    with pytest.raises(resolver.DnsFailure) as exc:
        resolver.lookup("slow.univ.test", "TXT")
    assert "timed out" in exc.value.reason


def test_dnssec_setting_sets_do_or_cd_and_reports_ad(dns, settings):
    dns.add('signed.univ.test. 60 IN TXT "v"')
    dns.signed.add("signed.univ.test")
    answer = resolver.lookup("signed.univ.test", "TXT")
    assert answer.authenticated
    assert dns.seen[-1].do and not dns.seen[-1].cd
    settings.DNSSEC_VALIDATE = False
    answer = resolver.lookup("signed.univ.test", "TXT")
    assert dns.seen[-1].cd and not dns.seen[-1].do
    assert not answer.authenticated


# ---------------------------------------------------------------------------
# CAA


def test_no_caa_allows_and_suggests_the_record(dns):
    result = caa.check("www.univ.test")
    assert result.allowed and result.found_at is None
    assert result.suggestion == 'www.univ.test. CAA 0 issue "certdesk.test"'
    # the climb went up to the TLD (RFC 8659 §3), never to the root
    asked = [q.name for q in dns.seen if q.qtype == "CAA"]
    assert asked == ["www.univ.test", "univ.test", "test"]


def test_caa_naming_this_ca_allows_and_is_found_on_a_parent(dns):
    dns.add('univ.test. 60 IN CAA 0 issue "certdesk.test"', 'univ.test. 60 IN CAA 0 iodef "mailto:sec@univ.test"')
    result = caa.check("a.b.univ.test")
    assert result.allowed
    assert result.found_at == "univ.test"
    assert result.suggestion == ""


def test_caa_is_case_insensitive_and_accepts_any_configured_identity(dns):
    dns.add('univ.test. 60 IN CAA 0 issue "CA.Certdesk.Test"')
    assert caa.check("univ.test").allowed


def test_caa_naming_another_ca_denies_with_the_record_to_add(dns):
    dns.add('univ.test. 60 IN CAA 0 issue "sectigo.com"')
    result = caa.check("www.univ.test")
    assert not result.allowed
    assert "sectigo.com" in result.reason and "CAA" in result.reason
    assert result.suggestion == 'univ.test. CAA 0 issue "certdesk.test"'


def test_closest_rrset_wins_over_the_parent(dns):
    dns.add('univ.test. 60 IN CAA 0 issue "certdesk.test"', 'lab.univ.test. 60 IN CAA 0 issue "other.example"')
    assert not caa.check("www.lab.univ.test").allowed
    assert caa.check("www.univ.test").allowed


def test_empty_issuer_forbids_every_ca(dns):
    dns.add('univ.test. 60 IN CAA 0 issue ";"')
    assert not caa.check("univ.test").allowed


def test_issuewild_governs_wildcards_and_issue_the_rest(dns):
    dns.add('univ.test. 60 IN CAA 0 issue "certdesk.test"', 'univ.test. 60 IN CAA 0 issuewild ";"')
    assert caa.check("www.univ.test").allowed
    wild = caa.check("*.univ.test")
    assert not wild.allowed and wild.wildcard
    assert 'issuewild "certdesk.test"' in wild.suggestion


def test_wildcard_falls_back_to_issue_without_issuewild(dns):
    dns.add('univ.test. 60 IN CAA 0 issue "certdesk.test"')
    assert caa.check("*.univ.test").allowed


def test_only_iodef_does_not_restrict(dns):
    dns.add('univ.test. 60 IN CAA 0 iodef "mailto:sec@univ.test"')
    result = caa.check("univ.test")
    assert result.allowed and "does not restrict" in result.reason


def test_unknown_critical_property_forbids_issuance(dns):
    dns.add('univ.test. 60 IN CAA 0 issue "certdesk.test"', 'univ.test. 60 IN CAA 128 tbs "unknown"')
    result = caa.check("univ.test")
    assert not result.allowed and "critical" in result.reason


def test_unknown_non_critical_property_is_ignored(dns):
    dns.add('univ.test. 60 IN CAA 0 issue "certdesk.test"', 'univ.test. 60 IN CAA 0 future "x"')
    assert caa.check("univ.test").allowed


def test_parameters_are_parsed_and_account_binding_is_honoured(dns):
    dns.add('univ.test. 60 IN CAA 0 issue "certdesk.test; accounturi=https://certdesk.test/customer/renater"')
    assert not caa.check("univ.test").allowed
    assert caa.check("univ.test", account_uri="https://certdesk.test/customer/renater").allowed
    assert not caa.check("univ.test", account_uri="https://certdesk.test/customer/jisc").allowed


def test_validation_methods_parameter(dns):
    dns.add('univ.test. 60 IN CAA 0 issue "certdesk.test; validationmethods=dns-01,ca-3.2.2.4.7"')
    assert caa.check("univ.test", validation_method="ca-3.2.2.4.7").allowed
    assert not caa.check("univ.test", validation_method="ca-3.2.2.4.18").allowed


def test_parse_issue_value():
    parsed = caa.parse_issue_value(" certdesk.test ; accounturi=https://x/1 ; policy=wildcard")
    assert parsed.issuer == "certdesk.test" and parsed.valid
    assert parsed.parameters == {"accounturi": "https://x/1", "policy": "wildcard"}
    assert caa.parse_issue_value(";").issuer == ""
    assert not caa.parse_issue_value("certdesk.test; =broken").valid


def test_caa_dns_failure_is_a_refusal_never_a_pass(dns, settings):
    dns.servfail.add("univ.test")
    result = caa.check("www.univ.test")
    assert not result.allowed and result.dns_failure
    assert "SERVFAIL" in result.reason
    settings.DNS_TIMEOUT = 0.4
    dns.servfail.clear()
    dns.silent.add("www.univ.test")
    result = caa.check("www.univ.test")
    assert not result.allowed and "timed out" in result.reason


def test_caa_follows_a_cname(dns):
    dns.add('www.univ.test. 60 IN CNAME cdn.provider.test.', 'cdn.provider.test. 60 IN CAA 0 issue "other.example"')
    assert not caa.check("www.univ.test").allowed
