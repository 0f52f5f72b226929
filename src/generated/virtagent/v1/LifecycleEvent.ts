// Original file: proto/virtagent/v1/agent.proto


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
  'event_code'?: (number);
  'detail_code'?: (number);
}

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
  'event_code': (number);
  'detail_code': (number);
}
