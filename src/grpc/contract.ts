// The two services' contract in one place: their names, .proto files and the
// types generated from them (src/generated, scripts/proto-types.js), plus
// the type-level helpers that turn a service's generated definition into
// per-method request and response types. A misspelt method or field is a
// compile error wherever these are used.
import type * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';

import type { HealthDefinition } from '../generated/grpc/health/v1';
import type { ServerReflectionDefinition } from '../generated/grpc/reflection/v1';
import type { HostAgentDefinition, HostAgentHandlers } from '../generated/virtagent/v1';
import type { ControllerDefinition, ControllerHandlers } from '../generated/virtcontroller/v1';

export const AGENT_SERVICE = 'virtagent.v1.HostAgent';
export const AGENT_PROTO = 'virtagent/v1/agent.proto';
export const CONTROLLER_SERVICE = 'virtcontroller.v1.Controller';
export const CONTROLLER_PROTO = 'virtcontroller/v1/controller.proto';
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

/** A generated handler interface without grpc-js's `[name: string]` index signature. */
type Named<T> = { [K in keyof T as string extends K ? never : K]: T[K] };

/** Names of a service's unary methods, read from its generated handler interface. */
export type UnaryMethodOf<Handlers> = {
  [K in keyof Named<Handlers>]: Named<Handlers>[K] extends grpc.handleUnaryCall<infer _Req, infer _Res> ? K : never;
}[keyof Named<Handlers>] & string;

/** What a client sends for method M (the permissive input type). */
export type RequestOf<Definition, M extends keyof Definition> =
  Definition[M] extends MethodDefinition<infer Req, infer _Res, infer _ReqOut, infer _ResOut> ? Req : never;

/** What a server receives for method M (decoded with the project's loader options: defaults filled in). */
export type CallRequestOf<Definition, M extends keyof Definition> =
  Definition[M] extends MethodDefinition<infer _Req, infer _Res, infer ReqOut, infer _ResOut> ? ReqOut : never;

/**
 * What a client receives for method M, and what the server's handler must
 * return: every field set, so a field added to the .proto is a compile error
 * in the server until it is filled in.
 */
export type ResponseOf<Definition, M extends keyof Definition> =
  Definition[M] extends MethodDefinition<infer _Req, infer _Res, infer _ReqOut, infer ResOut> ? ResOut : never;

export type AgentMethod = UnaryMethodOf<HostAgentHandlers>;
export type AgentRequest<M extends AgentMethod> = RequestOf<HostAgentDefinition, M>;
export type AgentCallRequest<M extends keyof HostAgentDefinition> = CallRequestOf<HostAgentDefinition, M>;
export type AgentResponse<M extends keyof HostAgentDefinition> = ResponseOf<HostAgentDefinition, M>;

export type ControllerMethod = UnaryMethodOf<ControllerHandlers>;
export type ControllerCallRequest<M extends keyof ControllerDefinition> = CallRequestOf<ControllerDefinition, M>;
export type ControllerResponse<M extends keyof ControllerDefinition> = ResponseOf<ControllerDefinition, M>;

/** The generated definition of each service by its full name (ProtoSet.serviceDefinition). */
export interface KnownServices {
  'virtagent.v1.HostAgent': HostAgentDefinition;
  'virtcontroller.v1.Controller': ControllerDefinition;
  'grpc.health.v1.Health': HealthDefinition;
  'grpc.reflection.v1.ServerReflection': ServerReflectionDefinition;
  /** Same messages as v1; served by the same handler. */
  'grpc.reflection.v1alpha.ServerReflection': ServerReflectionDefinition;
}

export type { ControllerDefinition, ControllerHandlers, HealthDefinition, HostAgentDefinition, HostAgentHandlers, ServerReflectionDefinition };
