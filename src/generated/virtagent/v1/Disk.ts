// Original file: proto/virtagent/v1/agent.proto


/**
 * One disk of a domain, as its XML describes it.
 */
export interface Disk {
  /**
   * The guest's device name, e.g. "vda".
   */
  'target_dev'?: (string);
  /**
   * File path, block device, "pool/image" (RBD) or iSCSI IQN/LUN; empty for an empty drive.
   */
  'source'?: (string);
  /**
   * libvirt disk type: file, block, network, volume or dir.
   */
  'type'?: (string);
  /**
   * disk, cdrom, floppy or lun.
   */
  'device'?: (string);
  /**
   * virtio, scsi, sata, ide, usb, ...
   */
  'bus'?: (string);
  /**
   * For network disks: rbd, iscsi, nbd, ...; empty otherwise.
   */
  'protocol'?: (string);
}

/**
 * One disk of a domain, as its XML describes it.
 */
export interface Disk__Output {
  /**
   * The guest's device name, e.g. "vda".
   */
  'target_dev': (string);
  /**
   * File path, block device, "pool/image" (RBD) or iSCSI IQN/LUN; empty for an empty drive.
   */
  'source': (string);
  /**
   * libvirt disk type: file, block, network, volume or dir.
   */
  'type': (string);
  /**
   * disk, cdrom, floppy or lun.
   */
  'device': (string);
  /**
   * virtio, scsi, sata, ide, usb, ...
   */
  'bus': (string);
  /**
   * For network disks: rbd, iscsi, nbd, ...; empty otherwise.
   */
  'protocol': (string);
}
