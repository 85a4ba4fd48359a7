// Every sandgate error as a .NET exception. The core decides kind, status, code, request id
// and denial reason; this file is the one place that turns its error value into an exception.
using System;
using Sandgate.Native;

namespace Sandgate
{
    /// <summary>The category of a <see cref="SandgateException"/>: the core's error kinds.</summary>
    public enum ErrorKind
    {
        /// <summary><c>invalid_argument</c>: a caller-supplied value was rejected before any work.</summary>
        InvalidArgument = 1,
        /// <summary><c>invalid_config</c>: signing keys, TOML or client settings are invalid.</summary>
        InvalidConfig = 2,
        /// <summary><c>access_denied</c>: a route or credential was denied (see <see cref="SandgateException.Reason"/>).</summary>
        AccessDenied = 3,
        /// <summary><c>api</c>: the server answered with an error status.</summary>
        Api = 4,
        /// <summary><c>timeout</c>: the request did not finish within its timeout.</summary>
        Timeout = 5,
        /// <summary><c>transport</c>: connecting or talking to the server failed.</summary>
        Transport = 6,
        /// <summary><c>decode</c>: the server's response could not be decoded.</summary>
        Decode = 7,
        /// <summary><c>cancelled</c>: the operation was cancelled.</summary>
        Cancelled = 8,
        /// <summary><c>internal</c>: a bug in sandgate.</summary>
        Internal = 9,
    }

    /// <summary>Why an access decision denied a request (SPEC §1.5), with the status a gateway answers.</summary>
    public enum DenyReason
    {
        /// <summary>Not a denial.</summary>
        None = 0,
        /// <summary><c>malformed</c> (400): the route cannot be parsed.</summary>
        Malformed = 1,
        /// <summary><c>expired</c> (401): now is past the route's expiry.</summary>
        Expired = 2,
        /// <summary><c>unknown_key</c> (401): the signature names a key id the verifier does not hold.</summary>
        UnknownKey = 3,
        /// <summary><c>bad_signature</c> (401): the signature does not match.</summary>
        BadSignature = 4,
        /// <summary><c>header_mismatch</c> (401): OpenSandbox-Secure-Access was sent and does not match.</summary>
        HeaderMismatch = 5,
        /// <summary><c>credential_required</c> (401): the sandbox requires secure access and no credential came.</summary>
        CredentialRequired = 6,
        /// <summary><c>not_configured</c> (503): the verifier holds no signing keys.</summary>
        NotConfigured = 7,
        /// <summary><c>unknown_sandbox</c> (404): the gateway does not know the sandbox.</summary>
        UnknownSandbox = 8,
    }

    /// <summary>
    /// Every error sandgate raises. Catch the subclass of a kind (<see cref="ApiException"/>,
    /// <see cref="AccessDeniedException"/>, ...) or this class and switch on <see cref="Kind"/>.
    /// No field ever holds a secret.
    /// </summary>
    public class SandgateException : Exception
    {
        internal SandgateException(ErrorKind kind, string kindCode, string message, string detail, int? status,
            string code, string requestId, DenyReason reason, string reasonCode)
            : base(message)
        {
            Kind = kind;
            KindCode = kindCode;
            Detail = detail;
            Status = status;
            Code = code;
            RequestId = requestId;
            Reason = reason;
            ReasonCode = reasonCode;
        }

        /// <summary>The category.</summary>
        public ErrorKind Kind { get; }

        /// <summary>The category's stable code, for example <c>invalid_argument</c>.</summary>
        public string KindCode { get; }

        /// <summary>The message alone, without the kind, status and code that <see cref="Exception.Message"/> adds.</summary>
        public string Detail { get; }

        /// <summary>The HTTP status (API errors and denials), or null.</summary>
        public int? Status { get; }

        /// <summary>The server's error code (for example <c>SANDBOX::NOT_FOUND</c>), or null.</summary>
        public string Code { get; }

        /// <summary>The server's <c>X-Request-ID</c>, or null.</summary>
        public string RequestId { get; }

        /// <summary>The denial reason of an access denial, else <see cref="DenyReason.None"/>.</summary>
        public DenyReason Reason { get; }

        /// <summary>The denial reason's stable code (for example <c>expired</c>), or null.</summary>
        public string ReasonCode { get; }
    }

    /// <summary><c>invalid_argument</c>: a value passed in was rejected before any work was done.</summary>
    public sealed class InvalidArgumentException : SandgateException
    {
        internal InvalidArgumentException(string kindCode, string message, string detail)
            : base(ErrorKind.InvalidArgument, kindCode, message, detail, null, null, null, DenyReason.None, null)
        {
        }
    }

    /// <summary><c>invalid_config</c>: signing keys (flag string or TOML) or client settings are invalid.</summary>
    public sealed class InvalidConfigException : SandgateException
    {
        internal InvalidConfigException(string kindCode, string message, string detail)
            : base(ErrorKind.InvalidConfig, kindCode, message, detail, null, null, null, DenyReason.None, null)
        {
        }
    }

    /// <summary><c>access_denied</c>: a route or credential was denied; see <see cref="SandgateException.Reason"/> and <see cref="SandgateException.Status"/>.</summary>
    public sealed class AccessDeniedException : SandgateException
    {
        internal AccessDeniedException(string kindCode, string message, string detail, int? status, DenyReason reason, string reasonCode)
            : base(ErrorKind.AccessDenied, kindCode, message, detail, status, null, null, reason, reasonCode)
        {
        }
    }

    /// <summary><c>api</c>: the server answered with an error status; see Status, Code and RequestId.</summary>
    public sealed class ApiException : SandgateException
    {
        internal ApiException(string kindCode, string message, string detail, int? status, string code, string requestId)
            : base(ErrorKind.Api, kindCode, message, detail, status, code, requestId, DenyReason.None, null)
        {
        }
    }

    /// <summary>
    /// <c>timeout</c>: the request did not finish within the client's timeout. (Named so that it
    /// does not clash with <see cref="System.TimeoutException"/>.)
    /// </summary>
    public sealed class RequestTimeoutException : SandgateException
    {
        internal RequestTimeoutException(string kindCode, string message, string detail)
            : base(ErrorKind.Timeout, kindCode, message, detail, null, null, null, DenyReason.None, null)
        {
        }
    }

    /// <summary><c>transport</c>: connecting or talking to the server failed (refused, reset, TLS, DNS).</summary>
    public sealed class TransportException : SandgateException
    {
        internal TransportException(string kindCode, string message, string detail)
            : base(ErrorKind.Transport, kindCode, message, detail, null, null, null, DenyReason.None, null)
        {
        }
    }

    /// <summary><c>decode</c>: the server's response could not be decoded.</summary>
    public sealed class DecodeException : SandgateException
    {
        internal DecodeException(string kindCode, string message, string detail, int? status, string requestId)
            : base(ErrorKind.Decode, kindCode, message, detail, status, null, requestId, DenyReason.None, null)
        {
        }
    }

    /// <summary>
    /// <c>cancelled</c>: the core cancelled an operation. Cancelling through a
    /// <see cref="System.Threading.CancellationToken"/> instead ends the task as canceled, so
    /// awaiting it throws <see cref="OperationCanceledException"/> as .NET code expects.
    /// </summary>
    public sealed class CancelledException : SandgateException
    {
        internal CancelledException(string kindCode, string message, string detail)
            : base(ErrorKind.Cancelled, kindCode, message, detail, null, null, null, DenyReason.None, null)
        {
        }
    }

    /// <summary><c>internal</c>: a bug in sandgate (for example a panic caught at the native boundary).</summary>
    public sealed class InternalException : SandgateException
    {
        internal InternalException(string kindCode, string message, string detail)
            : base(ErrorKind.Internal, kindCode, message, detail, null, null, null, DenyReason.None, null)
        {
        }
    }

    internal static unsafe class Errors
    {
        /// <summary>Copies a native error value into an exception (the value stays owned by the caller).</summary>
        internal static SandgateException From(SandgateError* e)
        {
            ErrorKind kind = (ErrorKind)e->Kind;
            string kindCode = Utf8.Static(e->KindCode);
            string detail = Utf8.Read(e->Message);
            string message = Utf8.Read(e->Display) ?? (kindCode + ": " + detail);
            int? status = e->Status == 0 ? (int?)null : e->Status;
            string code = Utf8.Read(e->Code);
            string requestId = Utf8.Read(e->RequestId);
            switch (kind)
            {
                case ErrorKind.InvalidArgument:
                    return new InvalidArgumentException(kindCode, message, detail);
                case ErrorKind.InvalidConfig:
                    return new InvalidConfigException(kindCode, message, detail);
                case ErrorKind.AccessDenied:
                    return new AccessDeniedException(kindCode, message, detail, status, (DenyReason)e->Reason, Utf8.Static(e->ReasonCode));
                case ErrorKind.Api:
                    return new ApiException(kindCode, message, detail, status, code, requestId);
                case ErrorKind.Timeout:
                    return new RequestTimeoutException(kindCode, message, detail);
                case ErrorKind.Transport:
                    return new TransportException(kindCode, message, detail);
                case ErrorKind.Decode:
                    return new DecodeException(kindCode, message, detail, status, requestId);
                case ErrorKind.Cancelled:
                    return new CancelledException(kindCode, message, detail);
                case ErrorKind.Internal:
                    return new InternalException(kindCode, message, detail);
                default: // a kind newer than this package: keep every field
                    return new SandgateException(kind, kindCode, message, detail, status, code, requestId,
                        (DenyReason)e->Reason, Utf8.Static(e->ReasonCode));
            }
        }

        /// <summary>Copies a native error into an exception and frees the native error.</summary>
        internal static SandgateException Take(SandgateError* e)
        {
            try
            {
                return From(e);
            }
            finally
            {
                NativeMethods.sandgate_error_free(e);
            }
        }

        /// <summary>Throws the error a native call returned; null (success) does nothing.</summary>
        internal static void Check(SandgateError* e)
        {
            if (e != null)
            {
                throw Take(e);
            }
        }

        /// <summary>A .NET value that has no UTF-8 form: the one error this package makes itself.</summary>
        internal static InvalidArgumentException Conversion(string detail)
        {
            return new InvalidArgumentException("invalid_argument", "invalid argument: " + detail, detail);
        }
    }
}
