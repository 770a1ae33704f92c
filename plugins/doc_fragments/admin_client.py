"""The connection options of the modules that talk to the cluster through confluent-kafka's AdminClient
(kafka_acl, kafka_user): documented once, here."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  bootstrap_server:
    description: Broker(s) to talk to, C(host:port[,host:port]).
    type: str
    required: true
  command_config:
    description:
      - Client properties file (C(key=value) lines) read into the AdminClient configuration, such as the
        admin client file the kafka role writes. Java client keys are translated - a PEM
        C(ssl.truststore.location) becomes C(ssl.ca.location), a C(sasl.jaas.config) login becomes
        C(sasl.username) and C(sasl.password); other keys must be librdkafka properties.
    type: path
  client_config:
    description:
      - Further AdminClient properties, applied over those of O(command_config) (typically
        C(security.protocol), C(ssl.ca.location), C(sasl.mechanism), C(sasl.username), C(sasl.password)).
      - The values of its secret settings (C(sasl.password) and the like) are masked in the module's output,
        as are those read from O(command_config); its other values are not.
    type: dict
    default: {}
requirements:
  - confluent-kafka (Python) on the host running the module, typically the control node with C(delegate_to).
"""
