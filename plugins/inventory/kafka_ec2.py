"""kafka_ec2: a Kafka cluster's EC2 instances, grouped and numbered from their tags."""

from __future__ import annotations

DOCUMENTATION = r"""
name: kafka_ec2
short_description: Kafka cluster hosts from EC2, grouped and numbered by their tags
description:
  - Finds the EC2 instances of one Kafka cluster by tag and puts them in the groups
    C(zookeeper), C(broker) and C(controller) (from a role tag), C(kafka_<cluster>) and
    C(zone_<availability zone name>), with the host variables the kafka-aws roles read.
  - "Tag scheme (key names are options): C(kafka:cluster=<name>) selects the cluster, matched
    exactly (C(*) and C(?) in the name are plain characters, not wildcards);
    C(kafka:role) is a comma-separated list of C(zookeeper), C(broker), C(controller);
    C(kafka:broker-id) and C(kafka:node-id) (1-2147483647; broker ids above 1000 are accepted, the
    kafka role raises C(reserved.broker.max.id) to fit) and C(zookeeper:myid) (1-255) give the ids,
    unique in the cluster and written in plain digits (C(01), C(+7), C(' 7 ') and C(7.0) are refused);
    C(Name) gives the inventory hostname."
  - "Node ids (KRaft): a broker's node id is its broker id. A broker may carry C(kafka:node-id) instead of
    C(kafka:broker-id) (a KRaft cluster's brokers, C(kafka:role=controller,broker) nodes): it then gets
    C(kafka_node_id) and no C(kafka_broker_id). A broker with neither tag is an error (or gets a derived
    broker id, O(derive_missing_ids)). A host carrying both tags with different values is an error naming
    the instance and both tags. Controller and broker ids share one namespace: a host's node id is its
    C(kafka_node_id), else its C(kafka_broker_id), and two hosts with the same node id are an error naming
    both instances (a controller's C(kafka:node-id) equal to another host's C(kafka:broker-id) included, in a
    ZooKeeper-to-KRaft migration too). The roles check the same rule (filter
    C(kafka_aws.kafka.node_id_problems))."
  - "Controllers beside the brokers (a ZooKeeper-to-KRaft migration's controllers as second processes on
    the brokers' instances): a broker instance that is no controller, tagged C(kafka:controller-node-id)
    (O(controller_process_tag)), also gives the host C(<name>-controller), in groups C(controller) and
    C(colocated_controller) (set its C(kafka_metrics_port) there), with the instance's address and EC2
    facts, that tag's value as its C(kafka_node_id), no broker id or myid, and C(kafka_colocated_with)
    naming the broker's host. The kafka role runs it as C(kafka-controller.service) with folders of its
    own. The tag on an instance that is no broker, or is a controller itself, is an error naming the
    instance and the tag."
  - "Members that are not running: instances in state C(pending), C(running), C(stopping) or C(stopped)
    are members (C(shutting-down) and C(terminated) ones never are). A member that is not running is an
    error naming it, since leaving it out would shrink the ZooKeeper ensemble and the broker list in the
    next run's configuration; with O(non_running_members=keep) it stays a member (same groups and ids)
    and is also put in the group C(not_running) with the host variable C(kafka_ec2_state), so that
    playbooks can target C(<group>:!not_running)."
  - "Host variables, few and each stated once: C(kafka_host_address) (the private IPv4 address,
    which services bind to and advertise), C(kafka_broker_id) (brokers, unless tagged with a node id
    only), C(zookeeper_myid), C(kafka_node_id) (controllers, and any host with a node id tag),
    C(kafka_rack) (the availability zone ID by default), C(kafka_cluster_name), and the namespaced
    EC2 facts C(kafka_ec2_instance_id), C(kafka_ec2_instance_type), C(kafka_ec2_region),
    C(kafka_ec2_availability_zone), C(kafka_ec2_subnet_id), C(kafka_ec2_vpc_id),
    C(kafka_ec2_private_dns_name), C(kafka_ec2_tags) (all tags), and, only when the instance has
    one, C(kafka_ec2_public_ip_address), C(kafka_ec2_public_dns_name) and C(kafka_ec2_ipv6_address).
    Roles are the group memberships (C(group_names)). C(kafka_ec2_instance) (raw data) only with
    O(include_raw_instance)."
  - One paginated DescribeInstances per region (cluster tag and C(instance-state-name) filtered
    server-side, the cluster name then compared exactly) and one DescribeAvailabilityZones per region;
    each region is queried once however often it is listed, regions concurrently with botocore's
    standard retries. No per-instance API call.
  - Bad input is an error naming the instance and the tag, and no inventory is produced. The project's
    C(ansible.cfg) makes an inventory source that fails to parse fail the run
    (C([inventory] any_unparsed_is_failed)).
  - With O(cache), the cache key covers every option that shapes the host list (all options but the
    cache settings, C(plugin), the secret key and session token, and the constructed options C(compose),
    C(groups), C(keyed_groups), C(strict), C(leading_separator) and C(use_extra_vars), which are applied
    to cached hosts too).
  - "Template trust (ansible-core 2.19+): a value made only of letters, digits, spaces and
    C(. _ : , / -) (ids, addresses, names, zones, ordinary tags) is marked trusted, since it reads the
    same templated or not; any other value, such as a tag holding C({{ }}), stays untrusted and is
    never rendered as a template."
  - The file name must end in C(kafka_ec2.yml) or C(kafka_ec2.yaml), and its C(plugin) may be the
    FQCN C(kafka_aws.kafka.kafka_ec2) or the short name C(kafka_ec2).
author: kafka-aws
requirements:
  - boto3
extends_documentation_fragment:
  - inventory_cache
  - constructed
options:
  plugin:
    description: Marks the file as a kafka_ec2 inventory source.
    required: true
    choices: [kafka_aws.kafka.kafka_ec2, kafka_ec2]
  cluster:
    description: The cluster's name, the value of the cluster tag.
    required: true
    type: str
  regions:
    description:
      - Regions to search. When empty, the region of the AWS profile or environment
        (C(AWS_REGION), C(AWS_DEFAULT_REGION)); never every region.
    type: list
    elements: str
    default: []
  aws_profile:
    description: AWS profile (botocore credential chain).
    type: str
    aliases: [profile, boto_profile]
    env:
      - name: AWS_PROFILE
      - name: AWS_DEFAULT_PROFILE
  aws_access_key:
    description: AWS access key ID.
    type: str
    aliases: [access_key, aws_access_key_id]
    env:
      - name: AWS_ACCESS_KEY_ID
      - name: AWS_ACCESS_KEY
  aws_secret_key:
    description: AWS secret access key.
    type: str
    aliases: [secret_key, aws_secret_access_key]
    env:
      - name: AWS_SECRET_ACCESS_KEY
      - name: AWS_SECRET_KEY
  aws_security_token:
    description: AWS session token of temporary credentials.
    type: str
    aliases: [session_token, aws_session_token]
    env:
      - name: AWS_SESSION_TOKEN
      - name: AWS_SECURITY_TOKEN
  assume_role_arn:
    description: Role to assume (STS AssumeRole) before querying EC2.
    type: str
  endpoint_url:
    description: EC2 endpoint URL (VPC endpoints, LocalStack, moto).
    type: str
    aliases: [aws_endpoint_url]
  filters:
    description: Extra DescribeInstances filters (name -> value or list of values), applied server-side.
    type: dict
    default: {}
  hostname_source:
    description:
      - Inventory hostname of each instance; C(name) is the Name tag (instances without one use their id).
    type: str
    choices: [name, instance-id, private-dns-name]
    default: name
  ansible_host_source:
    description:
      - What becomes C(ansible_host) - C(private-ip-address), C(public-ip-address), C(ipv6-address),
        C(private-dns-name), or C(tag:<key>) (the value of a tag).
    type: str
    default: private-ip-address
  rack_source:
    description:
      - What becomes C(kafka_rack) - C(zone-id) (default; zone names map to different physical zones in
        different accounts), C(zone-name), or C(tag:<key>).
    type: str
    default: zone-id
  cluster_tag:
    description: Tag key holding the cluster name.
    type: str
    default: "kafka:cluster"
  role_tag:
    description: Tag key holding the comma-separated roles.
    type: str
    default: "kafka:role"
  broker_id_tag:
    description: Tag key holding a broker's id (a KRaft broker may carry O(node_id_tag) instead).
    type: str
    default: "kafka:broker-id"
  myid_tag:
    description: Tag key holding a ZooKeeper member's myid.
    type: str
    default: "zookeeper:myid"
  node_id_tag:
    description: Tag key holding a KRaft node id (controllers; a broker tagged with it needs no broker id).
    type: str
    default: "kafka:node-id"
  controller_process_tag:
    description:
      - Tag key holding the node id of a KRaft controller that runs as a second process on a broker's instance
        (see the description).
    type: str
    default: "kafka:controller-node-id"
  derive_missing_ids:
    description:
      - A missing id tag is an error unless this is true. Derived ids depend only on the host's own private
        IPv4 address C(a.b.c.d), never on list order or launch time, so adding or replacing an instance never
        renumbers another - broker and node ids are C(c*256+d), a myid is C(d). Two hosts deriving the same id
        are an error naming both.
      - A broker tagged with a node id only needs no broker id. A controller that is also a broker and has a
        broker id (tagged or derived) takes it as its node id, since a broker's node id is its broker id.
    type: bool
    default: false
  zookeeper_allow_even_ensemble:
    description:
      - Allow an even number of ZooKeeper hosts (the zookeeper role's variable of the same name).
    type: bool
    default: false
    aliases: [allow_even_zookeeper]
  non_running_members:
    description:
      - What a member that is not running (state C(pending), C(stopping) or C(stopped)) is.
      - C(fail) (default) - an error naming each such instance, its Name and its state.
      - C(keep) - it stays a member (its groups and ids unchanged, so the rendered configuration is
        too), also in the group C(not_running), with C(kafka_ec2_state) set to its state (the variable
        is set only on such hosts). It still needs its private IPv4 address (a stopped instance in a
        VPC keeps it); its C(ansible_host) is set only when O(ansible_host_source) gives one (a stopped
        instance has no public address).
    type: str
    choices: [fail, keep]
    default: fail
  include_raw_instance:
    description: Also set C(kafka_ec2_instance), the raw DescribeInstances data of the host.
    type: bool
    default: false
"""

EXAMPLES = r"""
# inventory/aws.kafka_ec2.yml: the cluster "prod" in one region, private addresses.
plugin: kafka_aws.kafka.kafka_ec2
cluster: prod
regions: [eu-west-1]

# Another file, e.g. inventory/staging.kafka_ec2.yml, shows more options: two regions, a profile,
# a VPC endpoint, ansible_host from a tag, a server-side filter, a keyed group and a cache:
#
# plugin: kafka_aws.kafka.kafka_ec2
# cluster: staging
# regions: [us-east-1, us-west-2]
# aws_profile: staging-admin
# endpoint_url: https://vpce-0123.ec2.us-east-1.vpce.amazonaws.com
# ansible_host_source: "tag:ssh-host"
# filters:
#   instance-type: [m7i.large, m7i.xlarge]
# keyed_groups:
#   - key: kafka_ec2_instance_type
#     prefix: type
# cache: true
# cache_plugin: ansible.builtin.jsonfile
# cache_connection: ~/.cache/kafka-aws/inventory
"""

import contextlib
import gc
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from xml.etree import ElementTree

from ansible.errors import AnsibleError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible_collections.kafka_aws.kafka.plugins.module_utils.cluster_rules import (
    ROLES,
    node_id_problems,
    parse_id,
    split_roles,
)

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core before 2.19 has no template trust: every value is plain data

    def trust_as_template(value: str) -> str:
        return value


try:
    import boto3
    import botocore.config
    import botocore.exceptions
    import botocore.session
except ImportError as import_error:  # pragma: no cover - the error names the missing package
    BOTO3_IMPORT_ERROR: ImportError | None = import_error
else:
    BOTO3_IMPORT_ERROR = None

NAME = "kafka_aws.kafka.kafka_ec2"
NAMES = (NAME, "kafka_ec2")  # what an inventory file's `plugin` may say
# Instance states of members: never shutting-down or terminated. Only running ones are reachable.
MEMBER_STATES = ("pending", "running", "stopping", "stopped")
NOT_RUNNING_GROUP = "not_running"
# The group of the controllers that run beside a broker (option controller_process_tag); their name's suffix.
COLOCATED_GROUP = "colocated_controller"
COLOCATED_SUFFIX = "-controller"
# Options that cannot change the cached host list, left out of the cache key (every other option is
# in it, so a new option is by default): the cache's own settings, the file's plugin name, secrets
# that rotate without changing what they see (the access key and profile stay in), and the
# constructed options, which populate() applies to cached hosts as well.
CACHE_NEUTRAL = frozenset(
    {
        "plugin",
        "cache",
        "cache_plugin",
        "cache_timeout",
        "cache_connection",
        "cache_prefix",
        "aws_secret_key",
        "aws_security_token",
        "compose",
        "groups",
        "keyed_groups",
        "strict",
        "leading_separator",
        "use_extra_vars",
    }
)
# Bumped when the cached host entries change shape, so an older plugin's entries are not read.
CACHE_VERSION = 2
# Standard mode (throttling and transient errors); 5 attempts keep an unreachable endpoint to seconds.
RETRIES = {"mode": "standard", "max_attempts": 5}
# Error codes meaning the credentials are unknown, expired or lack the permission.
DENIED = frozenset(
    {
        "AuthFailure",
        "UnauthorizedOperation",
        "AccessDenied",
        "InvalidClientTokenId",
        "ExpiredToken",
        "RequestExpired",
        "SignatureDoesNotMatch",
    }
)
FACTS = {
    "instance_id": "InstanceId",
    "instance_type": "InstanceType",
    "subnet_id": "SubnetId",
    "vpc_id": "VpcId",
    "public_ip_address": "PublicIpAddress",
    "private_dns_name": "PrivateDnsName",
    "public_dns_name": "PublicDnsName",
    "ipv6_address": "Ipv6Address",
}


# DescribeInstances members this plugin reads: XML element -> botocore key (EC2 API 2016-11-15).
INSTANCE_SCALARS = {
    "instanceId": "InstanceId",
    "instanceType": "InstanceType",
    "subnetId": "SubnetId",
    "vpcId": "VpcId",
    "privateIpAddress": "PrivateIpAddress",
    "ipAddress": "PublicIpAddress",
    "privateDnsName": "PrivateDnsName",
    "dnsName": "PublicDnsName",
    "ipv6Address": "Ipv6Address",
}


def lean_instance(item: Any, ns: str) -> dict[str, Any]:
    """The members of one instancesSet item that the plugin reads, keyed as botocore keys them."""
    instance: dict[str, Any] = {}
    for child in item:
        name = child.tag[len(ns) :]
        if name in INSTANCE_SCALARS:
            instance[INSTANCE_SCALARS[name]] = child.text or ""
        elif name == "placement":
            instance["Placement"] = {"AvailabilityZone": child.findtext(f"{ns}availabilityZone") or ""}
        elif name == "instanceState":
            instance["State"] = {"Name": child.findtext(f"{ns}name") or ""}
        elif name == "tagSet":
            instance["Tags"] = [
                {"Key": t.findtext(f"{ns}key") or "", "Value": t.findtext(f"{ns}value") or ""} for t in child
            ]
        elif name == "networkInterfaceSet":
            instance["NetworkInterfaces"] = [
                {
                    "Ipv6Addresses": [
                        {"Ipv6Address": a.findtext(f"{ns}ipv6Address") or ""}
                        for a in n.iterfind(f"{ns}ipv6AddressesSet/{ns}item")
                    ]
                }
                for n in child
            ]
    return instance


class UnexpectedPage(ValueError):
    """A page the lean parser does not know; botocore's own parser takes it."""


def lean_describe_instances(body: bytes) -> dict[str, Any]:
    """A DescribeInstances page as botocore shapes it, holding only what the plugin reads.

    Raises UnexpectedPage when the root element is not DescribeInstancesResponse (an error document,
    another operation's answer).
    """
    root = ElementTree.fromstring(body)
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    if root.tag[len(ns) :] != "DescribeInstancesResponse":
        raise UnexpectedPage(root.tag)
    page: dict[str, Any] = {
        "Reservations": [
            {"Instances": [lean_instance(i, ns) for i in r.iterfind(f"{ns}instancesSet/{ns}item")]}
            for r in root.iterfind(f"{ns}reservationSet/{ns}item")
        ],
        "ResponseMetadata": {"RequestId": root.findtext(f"{ns}requestId") or ""},
    }
    token = root.findtext(f"{ns}nextToken")
    if token:
        page["NextToken"] = token
    return page


# The output shape of EC2's DescribeInstances (botocore's ec2 service model): the only one parsed lean.
LEAN_SHAPE = "DescribeInstancesResult"


class LeanParser:
    """Parses successful DescribeInstances pages with lean_describe_instances; botocore does the rest.

    botocore's own parser builds every member of every instance (timestamps through dateutil) and was
    most of the inventory's time at thousands of instances. Anything else goes to botocore's parser,
    untouched: another operation, a status outside 2xx, an unknown root element, or any exception while
    parsing lean.
    """

    def __init__(self, default: Any) -> None:
        self._default = default

    def parse(self, response: dict[str, Any], shape: Any) -> dict[str, Any]:
        if not 200 <= response["status_code"] < 300 or getattr(shape, "name", None) != LEAN_SHAPE:
            return self._default.parse(response, shape)
        try:
            page = lean_describe_instances(response["body"])
        except Exception:  # an unexpected page: botocore's parser knows every form AWS may send
            return self._default.parse(response, shape)
        page["ResponseMetadata"].update(
            HTTPStatusCode=response["status_code"],
            HTTPHeaders={k.lower(): v for k, v in response["headers"].items()},
        )
        return page


class LeanParserFactory:
    """botocore `response_parser_factory` component handing out LeanParser."""

    def __init__(self, default: Any) -> None:
        self._default = default

    def create_parser(self, protocol: str) -> LeanParser:
        return LeanParser(self._default.create_parser(protocol))


def botocore_session(lean: bool) -> Any:
    session = botocore.session.Session()
    if lean:
        default = session.get_component("response_parser_factory")
        session.register_component("response_parser_factory", LeanParserFactory(default))
    return session


class Freeze:
    """What this plugin froze, so that it unfreezes only that.

    `canary` is an object created just after this plugin's gc.freeze(): a later gc.freeze() by anyone
    would freeze it too, and an unfreeze by anyone leaves nothing frozen or is followed by such a
    freeze. So what is frozen is exactly what this plugin froze when something is frozen and the
    canary is not (it is still in one of the collector's three generations).
    """

    canary: list[Any] | None = None

    @classmethod
    def ours(cls) -> bool:
        canary = cls.canary
        if canary is None or not gc.get_freeze_count():
            return False
        return any(o is canary for o in gc.get_objects())  # a list of the unfrozen: on rebuilds only

    @classmethod
    def freeze(cls) -> None:
        gc.freeze()
        cls.canary = []


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Build the inventory without CPython's cyclic collector, then keep what was built out of its scans.

    At 5,000 hosts the inventory is about 240,000 objects the collector tracks, and building it also
    allocates half a million short-lived ones (the pages' element trees). Every few hundred
    allocations start a collection, and the full ones walk everything alive; ansible-inventory's
    output pass (a copy of every variable) then starts more. Together that was over a quarter of
    `ansible-inventory --list` at 5,000 hosts.

    So the collector is paused while building; on success the young garbage the build left (all of
    it still in generation 0) is collected and the survivors, which live as long as the inventory,
    are frozen. An earlier freeze of this plugin's own (the inventory refreshed, or a second source)
    is undone and collected first, so an inventory that was replaced is freed. Objects someone else
    froze are never unfrozen, and while anything of theirs is frozen nothing is frozen here (a later
    unfreeze of theirs would release ours, or ours theirs). The collector's on/off state is restored
    in every case.
    """
    if Freeze.ours():
        gc.unfreeze()
        Freeze.canary = None
        gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.collect(0)
        if not gc.get_freeze_count():
            Freeze.freeze()
    finally:
        if enabled:
            gc.enable()


# Strings made only of these characters hold no template delimiter, nor anything an expression could
# call or filter with: the same value whether templated or not.
PLAIN = re.compile(r"[A-Za-z0-9._:,/ -]*").fullmatch


def trusted_if_plain(value: Any, seen: dict[str, str]) -> Any:
    """`value` with each plain string marked trusted for templating; any other string stays untrusted.

    Ansible 2.19 treats strings from inventory plugins as untrusted, and ansible-inventory writes each
    one as `{"__ansible_unsafe": ...}` (almost half its output time at 5,000 hosts). Ids, addresses, names,
    zones and ordinary tag values render as themselves either way, so they are marked trusted; a
    value with a brace, percent, quote, bracket, pipe or the like (a possible template) never is.
    `seen` shares one marked copy of each repeated value (types, zones, subnets, VPCs, tags).
    """
    if type(value) is str:  # exact types: option values arrive tagged (str subclasses) and keep their tags
        if value not in seen:
            seen[value] = trust_as_template(value) if PLAIN(value) else value
        return seen[value]
    if type(value) is dict:
        return {k: trusted_if_plain(v, seen) for k, v in value.items()}
    if type(value) is list:
        return [trusted_if_plain(v, seen) for v in value]
    return value


def sanitize(name: str) -> str:
    """Group-name-safe form of a name (non-word characters become underscores)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def tags_of(instance: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in instance.get("Tags", [])}


def parse_roles(value: str | None, instance_id: str, role_tag: str) -> list[str]:
    if not value:
        raise AnsibleError(
            f"kafka_ec2: instance {instance_id} has no {role_tag} tag (roles: {', '.join(ROLES)})"
        )
    roles = split_roles(value)
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise AnsibleError(
            f"kafka_ec2: instance {instance_id} tag {role_tag}={value!r}: unknown role "
            f"{', '.join(unknown) or '(empty)'}; use a comma-separated list of {', '.join(ROLES)}"
        )
    return sorted(set(roles), key=ROLES.index)


def described(instance: dict[str, Any], tags: dict[str, str]) -> str:
    """`i-0abc (prod-1)`: an instance as messages name it."""
    return f"{instance['InstanceId']} ({tags.get('Name', 'no Name tag')})"


def tag_id(var: str, value: str, who: str, tag: str) -> int:
    """The id `var` from a tag's value, by the cluster's rules (module_utils/cluster_rules.py)."""
    number = parse_id(var, value)
    if isinstance(number, str):
        raise AnsibleError(f"kafka_ec2: instance {who} tag {tag}={value!r}: {number}")
    return number


def derived_id(private_ip: str | None, var: str, who: str) -> int:
    """Deterministic id from the host's own private IPv4 a.b.c.d: c*256+d, or d for a myid."""
    if not private_ip:
        raise AnsibleError(f"kafka_ec2: instance {who}: cannot derive {var} without a private IPv4 address")
    octets = [int(o) for o in private_ip.split(".")]
    number = octets[3] if var == "zookeeper_myid" else octets[2] * 256 + octets[3]
    problem = parse_id(var, number)
    if isinstance(problem, str):
        raise AnsibleError(
            f"kafka_ec2: instance {who}: {var} derived from private address {private_ip}: {problem}; tag it"
        )
    return number


def instance_address(instance: dict[str, Any], source: str, tags: dict[str, str]) -> str | None:
    if source.startswith("tag:"):
        return tags.get(source[4:])
    if source == "ipv6-address":
        return next(
            (
                ip["Ipv6Address"]
                for n in instance.get("NetworkInterfaces", [])
                for ip in n.get("Ipv6Addresses", [])
            ),
            None,
        )
    key = {
        "private-ip-address": "PrivateIpAddress",
        "public-ip-address": "PublicIpAddress",
        "private-dns-name": "PrivateDnsName",
    }.get(source)
    if key is None:
        raise AnsibleError(f"kafka_ec2: unknown ansible_host_source {source!r}")
    return instance.get(key) or None


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = NAME

    def verify_file(self, path: str) -> bool:
        return super().verify_file(path) and path.endswith(("kafka_ec2.yml", "kafka_ec2.yaml"))

    def _read_config_data(self, path: str) -> dict[str, Any]:
        # Ansible accepts only the names the plugin was loaded by; a file may say either of NAMES.
        self._redirected_names = list(dict.fromkeys([*(self._redirected_names or []), *NAMES]))
        return super()._read_config_data(path)

    def parse(self, inventory: Any, loader: Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache=cache)
        self._read_config_data(path)
        if BOTO3_IMPORT_ERROR is not None:
            raise AnsibleError(f"kafka_ec2 needs boto3 on the control node: {BOTO3_IMPORT_ERROR}")
        with gc_paused():
            self.build(self.cache_key(), self.get_option("cache") and cache)

    def build(self, key: str, use_cache: bool) -> None:
        """Hosts from the cache when it may be read and holds them, else from EC2; then the inventory."""
        hosts = None
        if use_cache:
            try:
                hosts = self._cache[key]
            except KeyError:
                hosts = None
        if hosts is None:
            hosts = self.compute_hosts(self.fetch())
            if self.get_option("cache"):
                self._cache[key] = hosts
        self.populate(hosts)

    def cache_key(self) -> str:
        """A key naming every option that shapes the cached host list (all but CACHE_NEUTRAL)."""
        options = sorted(set(self._options) - CACHE_NEUTRAL)
        material = json.dumps(
            [CACHE_VERSION, [(o, self.get_option(o)) for o in options]], sort_keys=True, default=str
        )
        return f"kafka_ec2_{hashlib.sha256(material.encode()).hexdigest()[:32]}"

    # -- AWS ---------------------------------------------------------------------------------------

    def session(self) -> Any:
        try:
            lean = not self.get_option("include_raw_instance")
            session = boto3.Session(
                botocore_session=botocore_session(lean),
                profile_name=self.get_option("aws_profile") or None,
                aws_access_key_id=self.get_option("aws_access_key") or None,
                aws_secret_access_key=self.get_option("aws_secret_key") or None,
                aws_session_token=self.get_option("aws_security_token") or None,
            )
            role = self.get_option("assume_role_arn")
            if role:
                creds = session.client("sts").assume_role(
                    RoleArn=role, RoleSessionName="kafka-aws-inventory"
                )["Credentials"]
                session = boto3.Session(
                    botocore_session=botocore_session(lean),
                    aws_access_key_id=creds["AccessKeyId"],
                    aws_secret_access_key=creds["SecretAccessKey"],
                    aws_session_token=creds["SessionToken"],
                    region_name=session.region_name,
                )
        except botocore.exceptions.ProfileNotFound as error:
            raise AnsibleError(f"kafka_ec2: {error}") from None
        except (botocore.exceptions.ClientError, botocore.exceptions.NoCredentialsError) as error:
            raise AnsibleError(
                f"kafka_ec2: could not assume role {self.get_option('assume_role_arn')}: {error}"
            ) from None
        return session

    def regions(self, session: Any) -> list[str]:
        regions = list(dict.fromkeys(self.get_option("regions") or []))  # each once, in order
        if not regions and session.region_name:
            regions = [session.region_name]
        if not regions:
            raise AnsibleError(
                "kafka_ec2: no region to search: set `regions` in the inventory file, or a region in the "
                "AWS profile or AWS_REGION / AWS_DEFAULT_REGION (every region is never scanned implicitly)"
            )
        return regions

    def server_filters(self) -> list[dict[str, Any]]:
        filters = [
            {"Name": f"tag:{self.get_option('cluster_tag')}", "Values": [self.get_option("cluster")]},
            {"Name": "instance-state-name", "Values": list(MEMBER_STATES)},
        ]
        for name, value in (self.get_option("filters") or {}).items():
            filters.append(
                {"Name": name, "Values": [str(v) for v in value] if isinstance(value, list) else [str(value)]}
            )
        return filters

    def query_region(self, session: Any, region: str) -> tuple[str, list[dict[str, Any]], dict[str, str]]:
        client = session.client(
            "ec2",
            region_name=region,
            endpoint_url=self.get_option("endpoint_url") or None,
            config=botocore.config.Config(retries=RETRIES),
        )
        try:
            pages = client.get_paginator("describe_instances").paginate(Filters=self.server_filters())
            found = (i for page in pages for r in page["Reservations"] for i in r["Instances"])
            instances = self.in_cluster(found)
            zones = {
                z["ZoneName"]: z["ZoneId"] for z in client.describe_availability_zones()["AvailabilityZones"]
            }
        except botocore.exceptions.NoCredentialsError:
            raise AnsibleError(
                "kafka_ec2: no AWS credentials found: set aws_profile, AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY (or run where an instance role provides them)"
            ) from None
        except botocore.exceptions.ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in DENIED:
                raise AnsibleError(
                    f"kafka_ec2: AWS denied these credentials in {region} ({code}): {error}. Check the "
                    "profile or keys, and that they may call ec2:DescribeInstances and "
                    "ec2:DescribeAvailabilityZones"
                ) from None
            raise AnsibleError(
                f"kafka_ec2: AWS refused DescribeInstances in {region} ({code}): {error}"
            ) from None
        except botocore.exceptions.BotoCoreError as error:
            raise AnsibleError(f"kafka_ec2: could not query EC2 in {region}: {error}") from None
        return region, instances, zones

    def in_cluster(self, instances: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """The instances whose cluster tag is the cluster's name exactly.

        EC2 filter values are patterns (`*` and `?` are wildcards), so the server-side filter returns a
        superset when the name holds one; comparing here keeps `pro*` from matching `prod`.
        """
        key, cluster = self.get_option("cluster_tag"), self.get_option("cluster")
        return [
            i for i in instances if any(t["Key"] == key and t["Value"] == cluster for t in i.get("Tags", ()))
        ]

    def fetch(self) -> list[tuple[str, list[dict[str, Any]], dict[str, str]]]:
        session = self.session()
        regions = self.regions(session)
        with ThreadPoolExecutor(max_workers=min(len(regions), 8)) as pool:
            results = list(pool.map(lambda r: self.query_region(session, r), regions))
        if not any(instances for _, instances, _ in results):
            raise AnsibleError(
                f"kafka_ec2: no running instances of cluster {self.get_option('cluster')!r} "
                f"(tag {self.get_option('cluster_tag')}), nor pending, stopping or stopped ones, in "
                f"{', '.join(regions)} with filters {self.get_option('filters') or {}}"
            )
        return results

    # -- computing the inventory ----------------------------------------------------------------------

    def compute_hosts(
        self, results: list[tuple[str, list[dict[str, Any]], dict[str, str]]]
    ) -> list[dict[str, Any]]:
        hosts = [self.host_entry(i, region, zones) for region, instances, zones in results for i in instances]
        hosts += [twin for host in hosts for twin in self.colocated_controller(host)]
        self.check_cluster(hosts)
        return hosts

    def host_id(self, instance: dict[str, Any], tags: dict[str, str], var: str, tag_option: str) -> int:
        tag, who = self.get_option(tag_option), described(instance, tags)
        if tag in tags:
            return tag_id(var, tags[tag], who, tag)
        if not self.get_option("derive_missing_ids"):
            raise AnsibleError(
                f"kafka_ec2: instance {who} has no {tag} tag; tag it, or set derive_missing_ids: true"
            )
        return derived_id(instance.get("PrivateIpAddress"), var, who)

    def hostname(self, instance: dict[str, Any], tags: dict[str, str]) -> str:
        source = self.get_option("hostname_source")
        if source == "instance-id":
            return instance["InstanceId"]
        if source == "private-dns-name":
            return instance.get("PrivateDnsName") or instance["InstanceId"]
        return tags.get("Name") or instance["InstanceId"]

    def rack(self, zone: str, zone_id: str | None, tags: dict[str, str], instance_id: str) -> str:
        source = self.get_option("rack_source")
        if source == "zone-name":
            return zone
        if source.startswith("tag:"):
            if source[4:] not in tags:
                raise AnsibleError(f"kafka_ec2: instance {instance_id} has no {source[4:]} tag (rack_source)")
            return tags[source[4:]]
        if not zone_id:
            raise AnsibleError(f"kafka_ec2: no availability zone ID for {zone} (instance {instance_id})")
        return zone_id

    def host_entry(self, instance: dict[str, Any], region: str, zones: dict[str, str]) -> dict[str, Any]:
        tags, instance_id = tags_of(instance), instance["InstanceId"]
        roles = parse_roles(tags.get(self.get_option("role_tag")), instance_id, self.get_option("role_tag"))
        state = instance.get("State", {}).get("Name", "")
        private_ip = instance.get("PrivateIpAddress")
        if not private_ip:
            raise AnsibleError(
                f"kafka_ec2: instance {described(instance, tags)} ({state}) has no private IPv4 address "
                "(kafka_host_address)"
            )
        ansible_host = instance_address(instance, self.get_option("ansible_host_source"), tags)
        if not ansible_host and state == "running":  # one not running is not reached (not_running)
            raise AnsibleError(
                f"kafka_ec2: instance {instance_id} has no {self.get_option('ansible_host_source')} "
                "(ansible_host_source); it is not dropped silently: fix the instance or the option"
            )
        zone = instance.get("Placement", {}).get("AvailabilityZone", "")
        host_vars: dict[str, Any] = {
            "kafka_host_address": private_ip,
            "kafka_cluster_name": self.get_option("cluster"),
            "kafka_rack": self.rack(zone, zones.get(zone), tags, instance_id),
            "kafka_ec2_region": region,
            "kafka_ec2_availability_zone": zone,
            "kafka_ec2_tags": tags,
        }
        if ansible_host:
            host_vars["ansible_host"] = ansible_host
        if state != "running":
            host_vars["kafka_ec2_state"] = state
        for name, key in FACTS.items():  # set only when the instance has one
            if instance.get(key):
                host_vars[f"kafka_ec2_{name}"] = instance[key]
        ipv6 = instance_address(instance, "ipv6-address", tags)
        if ipv6:
            host_vars["kafka_ec2_ipv6_address"] = ipv6
        node_tagged = self.get_option("node_id_tag") in tags
        # A broker's node id is its broker id: a broker tagged with a node id only (KRaft) needs no other.
        if "broker" in roles and (self.get_option("broker_id_tag") in tags or not node_tagged):
            host_vars["kafka_broker_id"] = self.host_id(instance, tags, "kafka_broker_id", "broker_id_tag")
        if "zookeeper" in roles:
            host_vars["zookeeper_myid"] = self.host_id(instance, tags, "zookeeper_myid", "myid_tag")
        if node_tagged or "controller" in roles:
            if not node_tagged and "kafka_broker_id" in host_vars and self.get_option("derive_missing_ids"):
                host_vars["kafka_node_id"] = host_vars["kafka_broker_id"]  # derived: the broker id it has
            else:
                host_vars["kafka_node_id"] = self.host_id(instance, tags, "kafka_node_id", "node_id_tag")
        if self.get_option("include_raw_instance"):
            host_vars["kafka_ec2_instance"] = json.loads(json.dumps(instance, default=str))
        return {
            "name": self.hostname(instance, tags),
            "roles": roles,
            "zone": zone,
            "running": state == "running",
            "vars": host_vars,
        }

    def colocated_controller(self, host: dict[str, Any]) -> list[dict[str, Any]]:
        """The controller a broker's instance also runs (its controller_process_tag), as a host of its own."""
        tags, tag = host["vars"]["kafka_ec2_tags"], self.get_option("controller_process_tag")
        if tag not in tags:
            return []
        who = described({"InstanceId": host["vars"]["kafka_ec2_instance_id"]}, tags)
        if "broker" not in host["roles"] or "controller" in host["roles"]:
            raise AnsibleError(
                f"kafka_ec2: instance {who} has tag {tag} but its roles are {', '.join(host['roles'])}: only "
                "a broker that is no controller runs one beside it; remove the tag or give the instance "
                f"{self.get_option('role_tag')}=broker (or zookeeper,broker)"
            )
        shared = {
            k: v
            for k, v in host["vars"].items()
            if k not in ("kafka_broker_id", "zookeeper_myid", "kafka_node_id")
        }
        node_id = tag_id("kafka_node_id", tags[tag], who, tag)
        return [
            host
            | {
                "name": host["name"] + COLOCATED_SUFFIX,
                "roles": ["controller"],
                "groups": [COLOCATED_GROUP],
                "vars": shared | {"kafka_node_id": node_id, "kafka_colocated_with": host["name"]},
            }
        ]

    def check_running(self, hosts: list[dict[str, Any]]) -> None:
        """Members not running are an error unless non_running_members is keep."""
        stopped = [h for h in hosts if not h["running"]]
        if not stopped or self.get_option("non_running_members") == "keep":
            return
        listed = ", ".join(
            f"{described({'InstanceId': h['vars']['kafka_ec2_instance_id']}, h['vars']['kafka_ec2_tags'])}: "
            f"{h['vars']['kafka_ec2_state']}"
            for h in stopped
        )
        raise AnsibleError(
            f"kafka_ec2: cluster {self.get_option('cluster')!r} has members that are not running: {listed}. "
            "Leaving them out would drop them from the ZooKeeper ensemble and the broker list the next run "
            "renders. Start them; or terminate them if they left the cluster for good; or set "
            f"non_running_members: keep (they stay members, in group {NOT_RUNNING_GROUP}, and playbooks "
            f"skip them with '...:!{NOT_RUNNING_GROUP}')"
        )

    def check_cluster(self, hosts: list[dict[str, Any]]) -> None:
        self.check_running(hosts)
        self.check_unique(hosts, lambda h: h["name"], "inventory hostname", "Name tag (hostname_source)")
        for var, tag_option in (
            ("kafka_broker_id", "broker_id_tag"),
            ("zookeeper_myid", "myid_tag"),
            ("kafka_node_id", "node_id_tag"),
        ):
            members = [h for h in hosts if var in h["vars"]]
            self.check_unique(members, lambda h, v=var: h["vars"][v], var, self.get_option(tag_option))
        self.check_node_ids(hosts)
        roles = {r for h in hosts for r in h["roles"]}
        zookeepers = sum("zookeeper" in h["roles"] for h in hosts)
        if "broker" in roles and not roles & {"zookeeper", "controller"}:
            raise AnsibleError(
                f"kafka_ec2: cluster {self.get_option('cluster')!r} has brokers but no zookeeper and no "
                f"controller hosts (tag {self.get_option('role_tag')})"
            )
        if zookeepers and zookeepers % 2 == 0 and not self.get_option("zookeeper_allow_even_ensemble"):
            raise AnsibleError(
                f"kafka_ec2: cluster {self.get_option('cluster')!r} has {zookeepers} zookeeper hosts; "
                "an even ensemble tolerates no more failures than one fewer. Use an odd number or set "
                "zookeeper_allow_even_ensemble: true"
            )

    def check_node_ids(self, hosts: list[dict[str, Any]]) -> None:
        """One id namespace: no two hosts share a node id (kafka_node_id, else kafka_broker_id).

        A host with both has them equal (a broker's node id is its broker id). The rule is
        module_utils/cluster_rules.py's node_id_problems, which the kafka role applies to its variables.
        """
        problems = node_id_problems(
            (
                (
                    self.node_label(h),
                    h["vars"].get("kafka_broker_id"),
                    h["vars"].get("kafka_node_id"),
                )
                for h in hosts
                if "kafka_broker_id" in h["vars"] or "kafka_node_id" in h["vars"]
            ),
            broker_id_name=f"tag {self.get_option('broker_id_tag')}",
            node_id_name=f"tag {self.get_option('node_id_tag')}",
            kind="tag",
        )
        if problems:
            raise AnsibleError(f"kafka_ec2: {'; '.join(problems)}")

    def node_label(self, host: dict[str, Any]) -> str:
        """How an id message names a host: its instance, or the controller beside it and the tag."""
        instance = described(
            {"InstanceId": host["vars"]["kafka_ec2_instance_id"]}, host["vars"]["kafka_ec2_tags"]
        )
        if "kafka_colocated_with" not in host["vars"]:
            return f"instance {instance}"
        return f"the controller beside instance {instance} (tag {self.get_option('controller_process_tag')})"

    @staticmethod
    def check_unique(hosts: list[dict[str, Any]], key: Any, what: str, tag: str) -> None:
        seen: dict[Any, str] = {}
        for host in hosts:
            value, instance_id = key(host), host["vars"]["kafka_ec2_instance_id"]
            if value in seen:
                raise AnsibleError(
                    f"kafka_ec2: instances {seen[value]} and {instance_id} have the same {what} {value!r} "
                    f"(tag {tag}); it must be unique in the cluster"
                )
            seen[value] = instance_id

    # -- populating ----------------------------------------------------------------------------------

    def populate(self, hosts: list[dict[str, Any]]) -> None:
        inventory = self.inventory
        cluster_group = inventory.add_group(f"kafka_{sanitize(self.get_option('cluster'))}")
        for role in ROLES:
            inventory.add_group(role)
        not_running = inventory.add_group(NOT_RUNNING_GROUP)
        constructed = any(self.get_option(o) for o in ("compose", "groups", "keyed_groups"))
        strict = self.get_option("strict")
        seen: dict[str, str] = {}
        for host in hosts:
            name = inventory.add_host(host["name"], group=cluster_group)
            for role in host["roles"]:
                inventory.add_child(role, name)
            for group in host.get("groups", []):
                inventory.add_child(inventory.add_group(group), name)
            if host["zone"]:
                inventory.add_child(inventory.add_group(f"zone_{sanitize(host['zone'])}"), name)
            if not host["running"]:
                inventory.add_child(not_running, name)
            for var, value in host["vars"].items():
                inventory.set_variable(name, var, trusted_if_plain(value, seen))
            if constructed:
                self._set_composite_vars(self.get_option("compose"), host["vars"], name, strict=strict)
                self._add_host_to_composed_groups(
                    self.get_option("groups"), host["vars"], name, strict=strict
                )
                self._add_host_to_keyed_groups(
                    self.get_option("keyed_groups"), host["vars"], name, strict=strict
                )
