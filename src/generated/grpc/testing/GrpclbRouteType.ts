// Original file: proto/grpc/testing/messages.proto

/**
 * How a client reached the server through gRPCLB (not detected by this server).
 */
export const GrpclbRouteType = {
  GRPCLB_ROUTE_TYPE_UNKNOWN: 'GRPCLB_ROUTE_TYPE_UNKNOWN',
  GRPCLB_ROUTE_TYPE_FALLBACK: 'GRPCLB_ROUTE_TYPE_FALLBACK',
  GRPCLB_ROUTE_TYPE_BACKEND: 'GRPCLB_ROUTE_TYPE_BACKEND',
} as const;

/**
 * How a client reached the server through gRPCLB (not detected by this server).
 */
export type GrpclbRouteType =
  | 'GRPCLB_ROUTE_TYPE_UNKNOWN'
  | 0
  | 'GRPCLB_ROUTE_TYPE_FALLBACK'
  | 1
  | 'GRPCLB_ROUTE_TYPE_BACKEND'
  | 2

/**
 * How a client reached the server through gRPCLB (not detected by this server).
 */
export type GrpclbRouteType__Output = typeof GrpclbRouteType[keyof typeof GrpclbRouteType]
