"""Authentication (bearer tokens) and authorisation (a small RBAC-like role table).

Enough to make a client meet what it meets on OpenShift: 401 for a missing or wrong token,
403 with the apiserver's message for what the role does not grant, and
SelfSubjectAccessReviews answered from the same rules (`kubectl auth can-i`).

A roles file (JSON or YAML) looks like:

    roles:
      operator:
        - {verbs: [get, list, watch], apiGroups: ["*"], resources: ["*"]}
        - {verbs: [patch], apiGroups: [hco.kubevirt.io], resources: [hyperconvergeds],
           namespaces: [openshift-cnv]}
    users:                       # optional: more identities, each with its own token
      - {name: alice, token: s3cret, role: viewer}

`namespaces` (not in RBAC, which binds per namespace instead) limits a rule to namespaces.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cnvtui.sim.errors import ApiError, forbidden, unauthorized

Json = dict[str, Any]

_READ = ("get", "list", "watch")


@dataclass(frozen=True)
class Rule:
    verbs: frozenset[str]
    api_groups: frozenset[str]
    resources: frozenset[str]
    resource_names: frozenset[str] = frozenset()
    namespaces: frozenset[str] | None = None
    non_resource_urls: frozenset[str] = frozenset()

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Rule:
        def strings(key: str) -> frozenset[str]:
            value = data.get(key) or []
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"rule field {key!r} must be a list of strings")
            return frozenset(value)

        namespaces = data.get("namespaces")
        return cls(
            verbs=strings("verbs"),
            api_groups=strings("apiGroups"),
            resources=strings("resources"),
            resource_names=strings("resourceNames"),
            namespaces=strings("namespaces") if namespaces is not None else None,
            non_resource_urls=strings("nonResourceURLs"),
        )

    def allows(
        self, verb: str, group: str, resource: str, name: str | None, namespace: str | None
    ) -> bool:
        if "*" not in self.verbs and verb not in self.verbs:
            return False
        if "*" not in self.api_groups and group not in self.api_groups:
            return False
        if not self._resource_matches(resource):
            return False
        if self.resource_names and (name is None or name not in self.resource_names):
            return False
        return self.namespaces is None or (
            namespace is not None and ("*" in self.namespaces or namespace in self.namespaces)
        )

    def _resource_matches(self, resource: str) -> bool:
        if "*" in self.resources or resource in self.resources:
            return True
        main, _, sub = resource.partition("/")
        return bool(sub) and (f"*/{sub}" in self.resources or f"{main}/*" in self.resources)

    def allows_path(self, verb: str, path: str) -> bool:
        if "*" not in self.verbs and verb not in self.verbs:
            return False
        return any(
            url in (path, "*") or (url.endswith("*") and path.startswith(url[:-1]))
            for url in self.non_resource_urls
        )


def _rule(verbs: Iterable[str], groups: Iterable[str], resources: Iterable[str]) -> Rule:
    return Rule(frozenset(verbs), frozenset(groups), frozenset(resources))


BUILTIN_ROLES: dict[str, tuple[Rule, ...]] = {
    # cluster-admin
    "admin": (_rule(["*"], ["*"], ["*"]),),
    # read-only everywhere (like the `view` ClusterRole bound cluster-wide)
    "viewer": (_rule(_READ, ["*"], ["*"]),),
    # what a CNV update operator needs: read everything, act on the update's objects
    "operator": (
        _rule(_READ, ["*"], ["*"]),
        _rule(["patch", "update"], ["hco.kubevirt.io"], ["hyperconvergeds"]),
        _rule(["patch", "update"], ["operators.coreos.com"], ["installplans", "subscriptions"]),
        _rule(["patch", "update"], ["machineconfiguration.openshift.io"], ["machineconfigpools"]),
        _rule(["create", "delete"], ["kubevirt.io"], ["virtualmachineinstancemigrations"]),
    ),
    # authenticated, nothing granted beyond discovery
    "none": (),
}


@dataclass(frozen=True)
class User:
    name: str
    role: str
    rules: tuple[Rule, ...]
    groups: tuple[str, ...] = ("system:authenticated",)


class Authorizer:
    """Who a request is (from its bearer token) and what that identity may do."""

    def __init__(
        self,
        *,
        token: str | None = None,
        role: str = "admin",
        user: str = "kube:admin",
        roles: Mapping[str, Iterable[Rule]] | None = None,
        users: Iterable[tuple[str, str, str]] = (),
    ) -> None:
        self.roles: dict[str, tuple[Rule, ...]] = dict(BUILTIN_ROLES)
        for name, rules in (roles or {}).items():
            self.roles[name] = tuple(rules)
        if role not in self.roles:
            raise ValueError(f"unknown role {role!r} (known: {', '.join(sorted(self.roles))})")
        self.default = User(user, role, self.roles[role])
        self.token = token
        self.users: dict[str, User] = {}
        for name, user_token, user_role in users:
            if user_role not in self.roles:
                raise ValueError(f"user {name!r} has unknown role {user_role!r}")
            self.users[user_token] = User(name, user_role, self.roles[user_role])

    @property
    def requires_token(self) -> bool:
        return self.token is not None or bool(self.users)

    def authenticate(self, authorization: str | None) -> User:
        """The user a request's Authorization header names (401 when it names nobody)."""
        if not self.requires_token:
            return self.default
        scheme, _, presented = (authorization or "").partition(" ")
        presented = presented.strip()
        if scheme.lower() != "bearer" or not presented:
            raise unauthorized()
        if self.token is not None and hmac.compare_digest(presented, self.token):
            return self.default
        for user_token, user in self.users.items():
            if hmac.compare_digest(presented, user_token):
                return user
        raise unauthorized()

    @staticmethod
    def allowed(
        user: User,
        verb: str,
        group: str,
        resource: str,
        *,
        name: str | None = None,
        namespace: str | None = None,
    ) -> bool:
        return any(r.allows(verb, group, resource, name, namespace) for r in user.rules)

    @staticmethod
    def allowed_path(user: User, verb: str, path: str) -> bool:
        """Discovery, version and health endpoints are open to every authenticated user."""
        if verb == "get" and (
            path in ("/api", "/apis", "/version", "/healthz", "/livez", "/readyz")
            or path.startswith(("/api/", "/apis/", "/openapi/"))
        ):
            return True
        return any(r.allows_path(verb, path) for r in user.rules)

    def check(
        self,
        user: User,
        verb: str,
        *,
        group: str,
        plural: str,
        subresource: str | None,
        name: str | None,
        namespace: str | None,
    ) -> None:
        """403 Forbidden, worded as the apiserver words it, unless `user` may do this."""
        resource = f"{plural}/{subresource}" if subresource else plural
        if self.allowed(user, verb, group, resource, name=name, namespace=namespace):
            return
        raise forbidden(
            group, plural, name, forbidden_reason(user, verb, group, resource, namespace)
        )

    def review(self, user: User, body: Any) -> Json:
        """The answer to a SelfSubjectAccessReview `body` (422 when it asks nothing)."""
        spec = body.get("spec") if isinstance(body, dict) else None
        if not isinstance(spec, dict):
            spec = {}
        attrs = spec.get("resourceAttributes")
        non_resource = spec.get("nonResourceAttributes")
        if (attrs is None) == (non_resource is None):
            raise ApiError(
                422,
                "Invalid",
                'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: '
                'spec.resourceAttributes: Invalid value: "null": exactly one of '
                "nonResourceAttributes or resourceAttributes must be specified",
                {
                    "group": "authorization.k8s.io",
                    "kind": "SelfSubjectAccessReview",
                    "causes": [
                        {
                            "reason": "FieldValueInvalid",
                            "message": 'Invalid value: "null": exactly one of '
                            "nonResourceAttributes or resourceAttributes must be specified",
                            "field": "spec.resourceAttributes",
                        }
                    ],
                },
            )
        if isinstance(attrs, dict):
            verb = str(attrs.get("verb") or "")
            resource = str(attrs.get("resource") or "")
            if attrs.get("subresource"):
                resource += "/" + str(attrs["subresource"])
            ok = self.allowed(
                user,
                verb,
                str(attrs.get("group") or ""),
                resource,
                name=str(attrs["name"]) if attrs.get("name") else None,
                namespace=str(attrs["namespace"]) if attrs.get("namespace") else None,
            )
        elif isinstance(non_resource, dict):
            ok = self.allowed_path(
                user, str(non_resource.get("verb") or ""), str(non_resource.get("path") or "")
            )
        else:
            ok = False
        status: Json = {"allowed": ok}
        if ok:
            status["reason"] = (
                f'RBAC: allowed by ClusterRoleBinding "cnvtui-sim-{user.role}" of ClusterRole '
                f'"{user.role}" to User "{user.name}"'
            )
        return _answer("SelfSubjectAccessReview", body, spec, status)

    def rules_review(self, user: User, body: Any) -> Json:
        """The answer to a SelfSubjectRulesReview (`kubectl auth can-i --list`): the rules
        of the user's role that apply in `spec.namespace`."""
        spec = body.get("spec") if isinstance(body, dict) else None
        spec = spec if isinstance(spec, dict) else {}
        namespace = str(spec.get("namespace") or "")
        if not namespace:
            raise ApiError(400, "BadRequest", "no namespace on request")
        resource_rules: list[Json] = []
        non_resource_rules: list[Json] = []
        for rule in user.rules:
            if rule.namespaces is not None and not (
                "*" in rule.namespaces or namespace in rule.namespaces
            ):
                continue
            if rule.resources:
                entry: Json = {
                    "verbs": _sorted(rule.verbs),
                    "apiGroups": _sorted(rule.api_groups),
                    "resources": _sorted(rule.resources),
                }
                if rule.resource_names:
                    entry["resourceNames"] = _sorted(rule.resource_names)
                resource_rules.append(entry)
            if rule.non_resource_urls:
                non_resource_rules.append(
                    {
                        "verbs": _sorted(rule.verbs),
                        "nonResourceURLs": _sorted(rule.non_resource_urls),
                    }
                )
        # Discovery and health are open to every authenticated user (see `allowed_path`).
        non_resource_rules.append(
            {
                "verbs": ["get"],
                "nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez",
                                    "/openapi", "/openapi/*", "/readyz", "/version"],
            }
        )  # fmt: skip
        status: Json = {
            "resourceRules": resource_rules,
            "nonResourceRules": non_resource_rules,
            "incomplete": False,
        }
        return _answer("SelfSubjectRulesReview", body, spec, status)


def _answer(kind: str, body: Any, spec: Json, status: Json) -> Json:
    """A review as the apiserver returns it: the request's metadata, spec and the status."""
    meta = body.get("metadata") if isinstance(body, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    return {
        "kind": kind,
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": {**meta, "creationTimestamp": None},
        "spec": spec,
        "status": status,
    }


def _sorted(values: frozenset[str]) -> list[str]:
    return sorted(values)


def forbidden_reason(
    user: User, verb: str, group: str, resource: str, namespace: str | None
) -> str:
    where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    return f'User "{user.name}" cannot {verb} resource "{resource}" in API group "{group}" {where}'


def load_roles_file(
    path: str | Path,
) -> tuple[dict[str, tuple[Rule, ...]], list[tuple[str, str, str]]]:
    """Roles and users from a JSON or YAML file (see the module docstring)."""
    text = Path(path).read_text()
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: not valid JSON or YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of roles")
    roles_data = data.get("roles", data if "users" not in data else {})
    if not isinstance(roles_data, dict):
        raise ValueError(f"{path}: 'roles' must be a mapping of role name to rules")
    roles: dict[str, tuple[Rule, ...]] = {}
    for name, rules in roles_data.items():
        if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
            raise ValueError(f"{path}: role {name!r} must be a list of rules")
        roles[str(name)] = tuple(Rule.of(r) for r in rules)
    users: list[tuple[str, str, str]] = []
    for u in data.get("users") or []:
        if not isinstance(u, dict) or not all(
            isinstance(u.get(k), str) for k in ("name", "token", "role")
        ):
            raise ValueError(f"{path}: each user needs string name, token and role")
        users.append((u["name"], u["token"], u["role"]))
    return roles, users
