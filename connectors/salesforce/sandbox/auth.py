"""Login endpoints: the SOAP `login` call and the OAuth 2.0 password grant.

simple-salesforce's `SalesforceLogin` posts a partner-WSDL SOAP envelope and reads
`sessionId`/`serverUrl` from the answer, or `sf:exceptionCode` from a SOAP fault;
OAuth clients read `access_token`/`instance_url`. Both are answered in the real
shapes so the unmodified client logs in against the sandbox.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from urllib.parse import parse_qs

from connectors.salesforce.sandbox.store import DEMO_USER_ID

ORG_ID = "00D5g000000SBOXEAW"
INVALID_LOGIN_MESSAGE = "Invalid username, password, security token; or user locked out."


@dataclass(frozen=True)
class DemoUser:
    username: str = "analyst@example.com"
    password: str = "sandbox-pass"
    security_token: str = "sandbox-token"

    def accepts(self, username: str | None, password: str | None) -> bool:
        """Salesforce wants the security token appended to the password."""
        return username == self.username and password == self.password + self.security_token


def _soap_login_fields(body: bytes) -> tuple[str | None, str | None]:
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None, None
    username = password = None
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "username":
            username = el.text or ""
        elif tag == "password":
            password = el.text or ""
    return username, password


def soap_fault(code: str, message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<soapenv:Body><soapenv:Fault>"
        f"<faultcode>sf:{code}</faultcode><faultstring>{code}: {escape(message)}</faultstring>"
        f'<detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>{code}</sf:exceptionCode>'
        f"<sf:exceptionMessage>{escape(message)}</sf:exceptionMessage></sf:LoginFault></detail>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    ).encode()


def soap_login(
    body: bytes, user: DemoUser, issue: Callable[[], str], base_url: str, version: str
) -> tuple[int, bytes]:
    username, password = _soap_login_fields(body)
    if not user.accepts(username, password):
        return 500, soap_fault("INVALID_LOGIN", INVALID_LOGIN_MESSAGE)
    session_id = issue()
    answer = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<soapenv:Body><loginResponse><result>"
        f"<metadataServerUrl>{base_url}/services/Soap/m/{version}/{ORG_ID[:15]}</metadataServerUrl>"
        "<passwordExpired>false</passwordExpired><sandbox>true</sandbox>"
        f"<serverUrl>{base_url}/services/Soap/u/{version}/{ORG_ID[:15]}</serverUrl>"
        f"<sessionId>{escape(session_id)}</sessionId><userId>{DEMO_USER_ID}</userId>"
        f"<userInfo><organizationId>{ORG_ID}</organizationId><organizationName>officebridge sandbox"
        f"</organizationName><userEmail>{escape(user.username)}</userEmail><userFullName>Sandbox Analyst"
        f"</userFullName><userId>{DEMO_USER_ID}</userId><userName>{escape(user.username)}</userName>"
        "<userTimeZone>Etc/UTC</userTimeZone></userInfo>"
        "</result></loginResponse></soapenv:Body></soapenv:Envelope>"
    )
    return 200, answer.encode()


def oauth_token(
    body: bytes, user: DemoUser, issue: Callable[[], str], base_url: str
) -> tuple[int, dict[str, str]]:
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    if form.get("grant_type") != "password":
        return 400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"}
    if not user.accepts(form.get("username"), form.get("password")):
        return 400, {"error": "invalid_grant", "error_description": "authentication failure"}
    return 200, {
        "access_token": issue(),
        "instance_url": base_url,
        "id": f"{base_url}/id/{ORG_ID}/{DEMO_USER_ID}",
        "token_type": "Bearer",
        "issued_at": str(int(time.time() * 1000)),
        "signature": "sandbox",
    }
