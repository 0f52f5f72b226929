// Original file: proto/virtagent/v1/agent.proto


/**
 * libvirt's lifecycle event of a domain.
 */
export interface LifecycleEvent {
  /**
   * libvirt's virDomainEventType as its symbolic name: DEFINED, UNDEFINED, STARTED,
   * SUSPENDED, RESUMED, STOPPED, SHUTDOWN, PMSUSPENDED, CRASHED.
   */
  'event'?: (string);
  /**
   * The event's detail as its symbolic name (e.g. "STOPPED_SHUTDOWN").
   */
  'detail'?: (string);
  /**
   * virDomainEventType as libvirt's number.
   */
  'event_code'?: (number);
  /**
   * The detail as libvirt's number (its meaning depends on the event).
   */
  'detail_code'?: (number);
}

/**
 * libvirt's lifecycle event of a domain.
 */
export interface LifecycleEvent__Output {
  /**
   * libvirt's virDomainEventType as its symbolic name: DEFINED, UNDEFINED, STARTED,
   * SUSPENDED, RESUMED, STOPPED, SHUTDOWN, PMSUSPENDED, CRASHED.
   */
  'event': (string);
  /**
   * The event's detail as its symbolic name (e.g. "STOPPED_SHUTDOWN").
   */
  'detail': (string);
  /**
   * virDomainEventType as libvirt's number.
   */
  'event_code': (number);
  /**
   * The detail as libvirt's number (its meaning depends on the event).
   */
  'detail_code': (number);
}
