"""moto's server, with the behaviours where moto 5.2.1 differs from AWS patched to what AWS documents.

Usage: python3 shim.py -H 127.0.0.1 -p PORT   (the same arguments as `python3 -m moto.server`)

Each patch below names the AWS documentation it follows; test/aws-emulator/README.md lists them, and
test/aws-emulator/moto-differences.test.ts shows each difference on plain moto and its fix here. Only the
test suite starts moto through this file: stagebot itself never knows which emulator it talks to.
Set MOTO_SHIM_PATCHES=none to run plain moto through the same entry point.
"""

import os
import sys

# moto validates key pair names and AMI ids on RunInstances only when asked (AWS always does:
# InvalidKeyPair.NotFound and InvalidAMIID.NotFound in the EC2 API's error codes).
if os.environ.get("MOTO_SHIM_PATCHES", "all") != "none":
    os.environ.setdefault("MOTO_ENABLE_KEYPAIR_VALIDATION", "true")
    os.environ.setdefault("MOTO_ENABLE_AMI_VALIDATION", "true")

from moto.core.responses import ActionResult  # noqa: E402
from moto.ec2 import exceptions as ec2_errors  # noqa: E402
from moto.ec2.models import amis as ami_models  # noqa: E402
from moto.ec2.responses.amis import AmisResponse  # noqa: E402
from moto.ec2.responses.instances import InstanceResponse  # noqa: E402
from moto.ec2.responses.key_pairs import KeyPairs  # noqa: E402
from moto.ec2.responses.security_groups import SecurityGroups  # noqa: E402
from moto.elbv2 import exceptions as elb_errors  # noqa: E402
from moto.elbv2 import models as elb_models  # noqa: E402
from moto.server import main  # noqa: E402


def delete_key_pair_by_id():
    """DeleteKeyPair takes KeyName or KeyPairId (API_DeleteKeyPair); moto reads only KeyName and
    answers success while deleting nothing when given an id."""
    original = KeyPairs.delete_key_pair

    def delete_key_pair(self):
        key_pair_id = self._get_param("KeyPairId")
        if key_pair_id and not self._get_param("KeyName"):
            self.error_on_dryrun()
            for name, pair in list(self.ec2_backend.key_pairs.items()):
                if pair.id == key_pair_id:
                    self.ec2_backend.delete_key_pair(name)
                    return ActionResult({"Return": True, "KeyPairId": key_pair_id})
            # Like AWS for a name: deleting what is not there succeeds.
            return ActionResult({"Return": True})
        return original(self)

    KeyPairs.delete_key_pair = delete_key_pair


def describe_key_pairs_by_id():
    """DescribeKeyPairs takes KeyPairId.N (API_DescribeKeyPairs); moto ignores it and lists every
    key pair. An unknown id is InvalidKeyPair.NotFound, as for a name."""
    original = KeyPairs.describe_key_pairs

    def describe_key_pairs(self):
        ids = self._get_param("KeyPairIds", [])
        if not ids:
            return original(self)
        known = {pair.id for pair in self.ec2_backend.key_pairs.values()}
        missing = [i for i in ids if i not in known]
        if missing:
            raise ec2_errors.EC2ClientError("InvalidKeyPair.NotFound", f"The key pair '{missing[0]}' does not exist")
        result = original(self)
        result.result["KeyPairs"] = [p for p in result.result["KeyPairs"] if p.id in ids]
        return result

    KeyPairs.describe_key_pairs = describe_key_pairs


def image_block_device_filters():
    """DescribeImages documents the block-device-mapping.* filters (API_DescribeImages); moto raises
    FilterNotImplementedError, which its server turns into an HTML 500."""
    original = ami_models.Ami.get_filter_value

    def get_filter_value(self, filter_name, method_name=None):
        if filter_name.startswith("block-device-mapping."):
            field = filter_name.split(".", 1)[1]
            key = {
                "snapshot-id": "SnapshotId",
                "volume-size": "VolumeSize",
                "volume-type": "VolumeType",
                "delete-on-termination": "DeleteOnTermination",
                "encrypted": "Encrypted",
            }.get(field)
            if field == "device-name":
                return [m.get("DeviceName") for m in self.block_device_mappings]
            if key:
                return [str(m.get("Ebs", {}).get(key)) if key != "SnapshotId" else m.get("Ebs", {}).get(key) for m in self.block_device_mappings]
        return original(self, filter_name, method_name)

    ami_models.Ami.get_filter_value = get_filter_value


def create_image_snapshot_tags():
    """CreateImage's TagSpecifications tag the image and/or its snapshots (API_CreateImage: resource
    type `image` or `snapshot`); moto raises NotImplementedError (an HTML 500) for `snapshot`."""
    original = ami_models.AmiBackend.create_image

    def create_image(self, instance_id, name, description, tag_specifications):
        snapshot_tags = [t for spec in tag_specifications if spec.get("ResourceType") == "snapshot" for t in spec.get("Tags", [])]
        others = [spec for spec in tag_specifications if spec.get("ResourceType") != "snapshot"]
        image = original(self, instance_id, name, description, others)
        if snapshot_tags:
            ids = [m["Ebs"]["SnapshotId"] for m in image.block_device_mappings if m.get("Ebs", {}).get("SnapshotId")]
            self.create_tags(ids, {t["Key"]: t["Value"] for t in snapshot_tags})
        return image

    ami_models.AmiBackend.create_image = create_image


def copy_image_tag_specifications():
    """CopyImage's TagSpecifications tag the new AMI and its new snapshots (API_CopyImage: resource type
    `image` or `snapshot`); moto 5.2.1 ignores them, so the copy would exist untagged."""

    def copy_image(self):
        source_image_id = self._get_param("SourceImageId")
        source_region = self._get_param("SourceRegion")
        name = self._get_param("Name")
        description = self._get_param("Description")
        specs = self._get_param("TagSpecifications", [])
        self.error_on_dryrun()
        image = self.ec2_backend.copy_image(source_image_id, source_region, name, description)
        image_tags = {t["Key"]: t["Value"] for spec in specs if spec.get("ResourceType") == "image" for t in spec.get("Tags", [])}
        snapshot_tags = {t["Key"]: t["Value"] for spec in specs if spec.get("ResourceType") == "snapshot" for t in spec.get("Tags", [])}
        if image_tags:
            self.ec2_backend.create_tags([image.id], image_tags)
        if snapshot_tags:
            ids = [m["Ebs"]["SnapshotId"] for m in image.block_device_mappings if m.get("Ebs", {}).get("SnapshotId")]
            self.ec2_backend.create_tags(ids, snapshot_tags)
        return ActionResult({"ImageId": image.id})

    AmisResponse.copy_image = copy_image


def enable_image_deprecation():
    """EnableImageDeprecation (API_EnableImageDeprecation) sets an AMI's DeprecationTime, which
    DescribeImages then returns; moto 5.2.1 has no such action. AWS rounds DeprecateAt to the minute
    (seconds dropped here: the tests compare minutes); an unknown AMI is InvalidAMIID.NotFound."""
    from datetime import datetime, timezone

    def enable(self):
        image_id = self._get_param("ImageId")
        deprecate_at = self._get_param("DeprecateAt")
        self.error_on_dryrun()
        ami = self.ec2_backend.describe_images(ami_ids=[image_id])[0]
        when = datetime.fromisoformat(str(deprecate_at).replace("Z", "+00:00")).astimezone(timezone.utc).replace(second=0, microsecond=0)
        ami.deprecation_time = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return ActionResult({"Return": True})

    AmisResponse.enable_image_deprecation = enable


def run_instances_as_aws():
    """RunInstances (API_RunInstances):
    - TagSpecifications of ResourceType `network-interface` tag the instance's network interfaces;
      moto drops them.
    - ClientToken makes the call idempotent ("Ensuring idempotency in Amazon EC2 API requests"): a
      repeated token returns the first call's reservation; moto launches another instance.
    - A DryRun is answered DryRunOperation only for a request that would succeed: moto answers it
      before looking at the subnet, security groups, AMI or key pair.
    - The network interface a launch creates for itself is deleted with the instance (EC2 User Guide,
      network interface attributes: "Delete on termination" is true for interfaces created with the
      instance); moto keeps it, detached, after the instance terminates.
    """
    original = InstanceResponse.run_instances

    def run_instances(self):
        token = self._get_param("ClientToken")
        if token:
            for reservation in self.ec2_backend.reservations.values():
                if any(getattr(i, "client_token", None) == token for i in reservation.instances):
                    return ActionResult(reservation)
        if self._get_param("DryRun", False):
            validate_launch(self)
        tags = self._parse_tag_specification()
        own_interfaces = not self._get_param("NetworkInterfaces")
        result = original(self)
        eni_tags = tags.get("network-interface")
        for instance in result.result.instances:
            if eni_tags:
                self.ec2_backend.create_tags([nic.id for nic in instance.nics.values()], eni_tags)
            if own_interfaces:
                for nic in instance.nics.values():
                    nic.delete_on_termination = True
        return result

    InstanceResponse.run_instances = run_instances


def validate_launch(response):
    backend = response.ec2_backend
    subnet_id = response._get_param("SubnetId")
    if subnet_id:
        backend.get_subnet(subnet_id)
    for group_id in response._get_param("SecurityGroupIds", []):
        if backend.get_security_group_from_id(group_id) is None:
            raise ec2_errors.InvalidSecurityGroupNotFoundError(group_id)
    image_id = response._get_param("ImageId")
    if image_id:
        backend.describe_images(ami_ids=[image_id])
    key_name = response._get_param("KeyName")
    if key_name:
        backend.describe_key_pairs(key_names=[key_name])


def dry_run_security_group_ingress():
    """AuthorizeSecurityGroupIngress with DryRun on a group that does not exist is InvalidGroup.NotFound,
    as without DryRun; moto answers DryRunOperation for any group id."""
    original = SecurityGroups.authorize_security_group_ingress

    def authorize_security_group_ingress(self):
        if self._get_param("DryRun", False):
            group_id = self._get_param("GroupId")
            if group_id and self.ec2_backend.get_security_group_from_id(group_id) is None:
                raise ec2_errors.InvalidSecurityGroupNotFoundError(group_id)
        return original(self)

    SecurityGroups.authorize_security_group_ingress = authorize_security_group_ingress


def targets_of_terminated_instances():
    """A target whose instance was terminated stays registered and reports `unused` with reason
    Target.InvalidState ("The target is in the stopped or terminated state", API TargetHealth) until
    someone deregisters it; moto silently moves it out of the group when the instance terminates."""
    elb_models.FakeTargetGroup.deregister_terminated_instances = lambda self, instance_ids: None
    original = elb_models.FakeTargetGroup.health_for

    def health_for(self, target, ec2_backend):
        t = self.targets.get(target["Id"])
        if t is not None and t["Id"].startswith("i-"):
            instance = ec2_backend.get_instance_by_id(t["Id"])
            if instance is not None and instance.state in ("terminated", "shutting-down"):
                return elb_models.FakeHealthStatus(
                    t["Id"], t["Port"], self.health_check_port, "unused", "Target.InvalidState", "Target is in the terminated state"
                )
        return original(self, target, ec2_backend)

    elb_models.FakeTargetGroup.health_for = health_for


def deregister_unregistered_target():
    """DeregisterTargets: "If the specified target does not exist, the action returns successfully"
    (API_DeregisterTargets); moto answers InvalidTarget."""

    def deregister(self, targets):
        for target in targets:
            t = self.targets.pop(target["Id"], None)
            if t:
                self.deregistered_targets[target["Id"]] = t

    elb_models.FakeTargetGroup.deregister = deregister


def register_only_existing_instances():
    """RegisterTargets of an instance id that does not exist is InvalidTarget (API_RegisterTargets:
    "The specified target does not exist"); moto registers it and reports it healthy."""
    original = elb_models.FakeTargetGroup.register

    def register(self, targets):
        for target in targets:
            if target["Id"].startswith("i-") and self.ec2_backend.get_instance_by_id(target["Id"]) is None:
                raise elb_errors.InvalidTargetError()
        return original(self, targets)

    elb_models.FakeTargetGroup.register = register


PATCHES = [
    delete_key_pair_by_id,
    describe_key_pairs_by_id,
    image_block_device_filters,
    create_image_snapshot_tags,
    copy_image_tag_specifications,
    enable_image_deprecation,
    run_instances_as_aws,
    dry_run_security_group_ingress,
    targets_of_terminated_instances,
    deregister_unregistered_target,
    register_only_existing_instances,
]

if __name__ == "__main__":
    if os.environ.get("MOTO_SHIM_PATCHES", "all") != "none":
        for patch in PATCHES:
            patch()
    main(sys.argv[1:])
