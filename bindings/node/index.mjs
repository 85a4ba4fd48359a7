// ESM entry point: the same objects as the CommonJS one (index.cjs), as named exports.
import sandgate from './index.cjs';

export const {
  AccessDecision,
  Client,
  Endpoint,
  Gateway,
  MockServer,
  RouteSigner,
  RouteVerifier,
  Secret,
  SignedRoute,
  SigningKeys,
  generateApiKey,
  hashApiKey,
  verifyApiKey,
  retryDecision,
  cacheDecision,
  SandgateError,
  ApiError,
  AccessDenied,
  TransportError,
  TimeoutError,
  InvalidArgument,
  InvalidConfig,
  DecodeError,
  CancelledError,
  InternalError,
} = sandgate;

export default sandgate;
