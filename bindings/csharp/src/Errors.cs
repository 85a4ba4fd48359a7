// Every sandgate error as a .NET exception. The core decides kind, status, code, request id,
// denial reason, the bare message and the display line; this file is the one place that turns
// its error value (core's ErrorView) into an exception.
using System;
using System.Runtime.InteropServices;
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

    /// <summary>How an access decision allowed a request (the core's grants).</summary>
    public enum Grant
    {
        /// <summary>Not allowed.</summary>
        None = 0,
        /// <summary><c>open</c>: the sandbox does not require secure access.</summary>
        Open = 1,
        /// <summary><c>header</c>: <c>OpenSandbox-Secure-Access</c> matched the access token.</summary>
        Header = 2,
        /// <summary><c>signature</c>: the signed route verified.</summary>
        Signature = 3,
    }

    /// <summary>
    /// Every error sandgate raises. Catch the subclass of a kind (<see cref="ApiException"/>,
    /// <see cref="AccessDeniedException"/>, ...) or this class and switch on <see cref="Kind"/>.
    /// <see cref="Exception.Message"/> is the bare message; <see cref="ToString"/> starts with the
    /// core's display line. No field ever holds a secret.
    /// </summary>
    public class SandgateException : Exception
    {
        private readonly string display;

        internal SandgateException(ErrorFields f)
            : base(f.Message)
        {
            display = f.Display;
            Kind = f.Kind;
            KindCode = f.KindCode;
            Status = f.Status;
            Code = f.Code;
            RequestId = f.RequestId;
            Reason = f.Reason;
            ReasonCode = f.ReasonCode;
            IsRetryable = f.Retryable;
            RetryAfter = f.RetryAfter;
        }

        /// <summary>Whether the client's retry policy retries this kind of failure (a 429, 502 or 503 of an idempotent request, a failure before sending, a timeout).</summary>
        public bool IsRetryable { get; }

        /// <summary>The server's <c>Retry-After</c> (uncapped), or null when it sent none.</summary>
        public TimeSpan? RetryAfter { get; }

        /// <summary>The category.</summary>
        public ErrorKind Kind { get; }

        /// <summary>The category's stable code, for example <c>invalid_argument</c>.</summary>
        public string KindCode { get; }

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

        /// <summary>
        /// The core's display line, for example <c>API error 404 SANDBOX::NOT_FOUND: no such
        /// sandbox (request id r1)</c>; once thrown, the stack trace follows on the next lines
        /// (where .NET's own <c>ToString()</c> puts it).
        /// </summary>
        public override string ToString()
        {
            string trace = StackTrace;
            return trace == null ? display : display + Environment.NewLine + trace;
        }
    }

    /// <summary><c>invalid_argument</c>: a value passed in was rejected before any work was done.</summary>
    public sealed class InvalidArgumentException : SandgateException
    {
        internal InvalidArgumentException(ErrorFields f) : base(f)
        {
        }
    }

    /// <summary><c>invalid_config</c>: signing keys (flag string or TOML) or client settings are invalid.</summary>
    public sealed class InvalidConfigException : SandgateException
    {
        internal InvalidConfigException(ErrorFields f) : base(f)
        {
        }
    }

    /// <summary><c>access_denied</c>: a route or credential was denied; see <see cref="SandgateException.Reason"/> and <see cref="SandgateException.Status"/>.</summary>
    public sealed class AccessDeniedException : SandgateException
    {
        internal AccessDeniedException(ErrorFields f) : base(f)
        {
        }
    }

    /// <summary><c>api</c>: the server answered with an error status; see Status, Code and RequestId.</summary>
    public sealed class ApiException : SandgateException
    {
        internal ApiException(ErrorFields f) : base(f)
        {
        }
    }

    /// <summary>
    /// <c>timeout</c>: the request did not finish within the client's timeout. (Named so that it
    /// does not clash with <see cref="System.TimeoutException"/>.)
    /// </summary>
    public sealed class RequestTimeoutException : SandgateException
    {
        internal RequestTimeoutException(ErrorFields f) : base(f)
        {
        }
    }

    /// <summary><c>transport</c>: connecting or talking to the server failed (refused, reset, TLS, DNS).</summary>
    public sealed class TransportException : SandgateException
    {
        internal TransportException(ErrorFields f) : base(f)
        {
        }
    }

    /// <summary><c>decode</c>: the server's response could not be decoded.</summary>
    public sealed class DecodeException : SandgateException
    {
        internal DecodeException(ErrorFields f) : base(f)
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
        internal CancelledException(ErrorFields f) : base(f)
        {
        }
    }

    /// <summary><c>internal</c>: a bug in sandgate (for example a panic caught at the native boundary).</summary>
    public sealed class InternalException : SandgateException
    {
        internal InternalException(ErrorFields f) : base(f)
        {
        }
    }

    /// <summary>The fields of an error value, as the core gave them.</summary>
    internal sealed class ErrorFields
    {
        internal ErrorKind Kind;
        internal string KindCode, Message, Display, Code, RequestId, ReasonCode;
        internal int? Status;
        internal DenyReason Reason;
        internal bool Retryable;
        internal TimeSpan? RetryAfter;
    }

    internal static unsafe class Errors
    {
        /// <summary>Copies a native error value into an exception (the value stays owned by the caller).</summary>
        internal static SandgateException From(SandgateError* e)
        {
            return Make(new ErrorFields
            {
                Kind = (ErrorKind)e->Kind,
                KindCode = Utf8.Static(e->KindCode),
                Message = Utf8.Read(e->Message),
                Display = Utf8.Read(e->Display),
                Status = e->Status == 0 ? (int?)null : e->Status,
                Code = Utf8.Read(e->Code),
                RequestId = Utf8.Read(e->RequestId),
                Reason = (DenyReason)e->Reason,
                ReasonCode = Utf8.Static(e->ReasonCode),
                Retryable = e->Retryable == 1,
                RetryAfter = e->HasRetryAfterMs == 1 ? Span.FromMillis(e->RetryAfterMs) : (TimeSpan?)null,
            });
        }

        /// <summary>
        /// The error of a hot-path call (<c>sandgate_verify</c>): a denial's reason (1..) or a
        /// negative kind, with its static message and display line.
        /// </summary>
        internal static SandgateException FromCode(int code, ulong status, byte* message, byte* display)
        {
            int kind = code > 0 ? (int)ErrorKind.AccessDenied : -code;
            return Make(new ErrorFields
            {
                Kind = (ErrorKind)kind,
                KindCode = Codes.Of(Codes.Kinds, kind),
                Message = Utf8.Static(message),
                Display = Utf8.Static(display),
                Status = status == 0 ? (int?)null : (int)status,
                Reason = code > 0 ? (DenyReason)code : DenyReason.None,
                ReasonCode = code > 0 ? Codes.Of(Codes.Reasons, code) : null,
            });
        }

        private static SandgateException Make(ErrorFields f)
        {
            switch (f.Kind)
            {
                case ErrorKind.InvalidArgument:
                    return new InvalidArgumentException(f);
                case ErrorKind.InvalidConfig:
                    return new InvalidConfigException(f);
                case ErrorKind.AccessDenied:
                    return new AccessDeniedException(f);
                case ErrorKind.Api:
                    return new ApiException(f);
                case ErrorKind.Timeout:
                    return new RequestTimeoutException(f);
                case ErrorKind.Transport:
                    return new TransportException(f);
                case ErrorKind.Decode:
                    return new DecodeException(f);
                case ErrorKind.Cancelled:
                    return new CancelledException(f);
                case ErrorKind.Internal:
                    return new InternalException(f);
                default: // a kind newer than this package: keep every field
                    return new SandgateException(f);
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

        /// <summary>Throws the error a native call returned, after disposing the (unset) handle it was to make.</summary>
        internal static void Check(SandgateError* e, SafeHandle made)
        {
            if (e != null)
            {
                made.Dispose();
                throw Take(e);
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

        /// <summary>
        /// An error this package reports itself (a .NET value with no native form), made by the
        /// core so that its display line is the core's.
        /// </summary>
        internal static SandgateException Own(ErrorKind kind, string message)
        {
            using (var pins = new Pins())
            {
                return Take(NativeMethods.sandgate_error_new((int)kind, pins.Str(message, "message")));
            }
        }
    }
}
