// Original file: proto/virtagent/v1/agent.proto


export interface Disk {
  /**
   * e.g. "vda"
   */
  'target_dev'?: (string);
  /**
   * file path, block device, "pool/image" or iSCSI IQN/LUN
   */
  'source'?: (string);
  /**
   * libvirt disk type: file, block, network, volume
   */
  'type'?: (string);
  /**
   * disk, cdrom, lun
   */
  'device'?: (string);
  /**
   * virtio, scsi, sata, ...
   */
  'bus'?: (string);
  /**
   * for network disks: rbd, iscsi, nbd, ...
   */
  'protocol'?: (string);
}

export interface Disk__Output {
  /**
   * e.g. "vda"
   */
  'target_dev': (string);
  /**
   * file path, block device, "pool/image" or iSCSI IQN/LUN
   */
  'source': (string);
  /**
   * libvirt disk type: file, block, network, volume
   */
  'type': (string);
  /**
   * disk, cdrom, lun
   */
  'device': (string);
  /**
   * virtio, scsi, sata, ...
   */
  'bus': (string);
  /**
   * for network disks: rbd, iscsi, nbd, ...
   */
  'protocol': (string);
}
