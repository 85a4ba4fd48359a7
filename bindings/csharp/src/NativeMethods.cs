// The P/Invoke mirror of the sandgate C ABI (bindings/c/include/sandgate.h; contract in
// docs/c-abi.md), written by hand and checked by tests/MirrorTests.cs: every struct's size and
// field offsets against sandgate_layout() at run time, and every declaration below against the
// header's prototypes. Fallible functions return an owned SandgateError* (null on success);
// opaque handles are SafeHandles (Handles.cs); result structs are read through pointers and
// freed with their free function. Field names are the header's, in PascalCase.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

[assembly: InternalsVisibleTo("Sandgate.Tests")] // the mirror checks read the structs and the tables

namespace Sandgate.Native
{
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct SandgateStr
    {
        public byte* Ptr;
        public UIntPtr Len;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct SandgateString
    {
        public byte* Ptr;
        public UIntPtr Len;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct SandgateStrPair
    {
        public SandgateStr Name;
        public SandgateStr Value;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct SandgatePair
    {
        public SandgateString Name;
        public SandgateString Value;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct SandgateError
    {
        public int Kind;
        public byte* KindCode;
        public ushort Status;
        public int Reason;
        public byte* ReasonCode;
        public SandgateString Message;
        public SandgateString Code;
        public SandgateString RequestId;
        public SandgateString Display;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct SandgateExpiry
    {
        public byte HasExpires;
        public ulong Expires;
        public byte HasTtl;
        public ulong TtlSeconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct SandgateSignedRoute
    {
        public SandgateString Token;
        public SandgateString SandboxId;
        public ushort Port;
        public ulong Expires;
        public SandgateString ExpiresB36;
        public SandgateString Signature;
        public SandgateString KeyId;
        public SandgateString UriPrefix;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct SandgateVerified
    {
        public ulong Port;
        public ulong Expires;
        public ulong KeyId;
        public ulong SandboxIdOffset;
        public ulong SandboxIdLen;
        public ulong Status;
        public byte* Message;
        public byte* Display;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct SandgateRoute
    {
        public SandgateString SandboxId;
        public ushort Port;
        public byte IsSigned;
        public ulong Expires;
        public SandgateString KeyId;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct SandgateDecision
    {
        public byte Allowed;
        public ushort Status;
        public int Reason;
        public byte* ReasonCode;
        public SandgateString Detail;
        public byte* Grant;
        public SandgateRoute Route;
        public SandgateString Path;
        public SandgateString Query;
        public SandgateError* Error;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct SandgateGeneratedApiKey
    {
        public SandgateString Key;
        public SandgateString Prefix;
        public SandgateString Hash;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct SandgateRetryOptions
    {
        public byte HasMaxRetries;
        public uint MaxRetries;
        public byte HasInitialBackoffMs;
        public ulong InitialBackoffMs;
        public byte HasMaxBackoffMs;
        public ulong MaxBackoffMs;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct SandgateClientOptions
    {
        public SandgateStr Domain;
        public SandgateStr Protocol;
        public SandgateStr ApiKey;
        public SandgateStrPair* Headers;
        public UIntPtr HeadersLen;
        public byte HasTimeoutMs;
        public ulong TimeoutMs;
        public SandgateStr Language;
        public SandgateRetryOptions Retry;
        public byte IgnoreEnv;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct SandgateHeader
    {
        public SandgateString Name;
        public SandgateString Value;
        public SandgateString RedactedValue;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct SandgateEndpoint
    {
        public SandgateString Endpoint;
        public SandgateString Url;
        public SandgateHeader* Headers;
        public UIntPtr HeadersLen;
        public SandgateRoute Route;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct SandgateSandbox
    {
        public SandgateString Id;
        public SandgateString Image;
        public SandgateString State;
        public SandgatePair* Metadata;
        public UIntPtr MetadataLen;
        public byte SecureAccess;
        public SandgateString CreatedAt;
        public SandgateString ExpiresAt;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct SandgateSandboxList
    {
        public SandgateSandbox* Items;
        public UIntPtr Len;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct SandgateSandboxRenewal
    {
        public SandgateString ExpiresAt;
        public ulong Expires;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct SandgateCreatedApiKey
    {
        public SandgateString Id;
        public SandgateString Name;
        public SandgateString Prefix;
        public SandgateString Key;
        public SandgateString ExpiresAt;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct SandgateApiKeyInfo
    {
        public SandgateString Id;
        public SandgateString Name;
        public SandgateString Prefix;
        public SandgateString CreatedAt;
        public SandgateString ExpiresAt;
        public byte Revoked;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct SandgateApiKeyList
    {
        public SandgateApiKeyInfo* Items;
        public UIntPtr Len;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct SandgateFaults
    {
        public long FailNext;
        public long Status;
        public byte HasRetryAfter;
        public long RetryAfter;
        public long LatencyMs;
        public long DropNext;
        public long CorruptNext;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct SandgateMockRequest
    {
        public SandgateString Method;
        public SandgateString Path;
        public ushort Status;
        public SandgateString UserAgent;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct SandgateMockRequestList
    {
        public SandgateMockRequest* Items;
        public UIntPtr Len;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct SandgateLayoutEntry
    {
        public byte* TypeName;
        public byte* Field;
        public UIntPtr Offset;
        public UIntPtr Size;
        public UIntPtr Align;
    }

    /// <summary>Completion callback of every client operation; runs once on a sandgate runtime thread.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal unsafe delegate void SandgateCallback(IntPtr userData, SandgateError* error, IntPtr result);

    internal static unsafe class NativeMethods
    {
        /// <summary>The library name: libsandgate_ffi.so, libsandgate_ffi.dylib or sandgate_ffi.dll.</summary>
        internal const string Library = "sandgate_ffi";
        private const CallingConvention C = CallingConvention.Cdecl;

        // ------------------------------------------------------------ errors, strings, tables
        [DllImport(Library, CallingConvention = C)]
        internal static extern byte* sandgate_error_kind_code(int kind);
        [DllImport(Library, CallingConvention = C)]
        internal static extern byte* sandgate_deny_reason_code(int reason);
        [DllImport(Library, CallingConvention = C)]
        internal static extern byte* sandgate_grant_code(int grant);
        [DllImport(Library, CallingConvention = C)]
        internal static extern byte* sandgate_route_form_code(int form);
        [DllImport(Library, CallingConvention = C)]
        internal static extern void sandgate_error_free(SandgateError* error);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_error_new(int kind, SandgateStr message);
        [DllImport(Library, CallingConvention = C)]
        internal static extern void sandgate_string_free(SandgateString* s);
        [DllImport(Library, CallingConvention = C)]
        internal static extern byte* sandgate_version();
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateLayoutEntry* sandgate_layout(UIntPtr index);

        // ------------------------------------------------------------ API keys
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_generate_api_key(SandgateStr prefix, out SandgateGeneratedApiKey* result);
        [DllImport(Library, CallingConvention = C)]
        internal static extern void sandgate_generated_api_key_free(SandgateGeneratedApiKey* key);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_hash_api_key(SandgateStr raw, SandgateString* result);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_verify_api_key(SandgateStr key, SandgateStr storedHash,
            SandgateStr expiresAt, byte revoked, byte hasNow, ulong now, out byte valid);

        // ------------------------------------------------------------ client
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_client_new(SandgateClientOptions* options, out ClientHandle client);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_client_base_url(ClientHandle client, SandgateString* result);
        [DllImport(Library, CallingConvention = C)]
        internal static extern void sandgate_client_free(IntPtr client);
        [DllImport(Library, CallingConvention = C)]
        internal static extern void sandgate_endpoint_free(SandgateEndpoint* endpoint);
        [DllImport(Library, CallingConvention = C)]
        internal static extern void sandgate_sandbox_free(SandgateSandbox* sandbox);
        [DllImport(Library, CallingConvention = C)]
        internal static extern void sandgate_sandbox_list_free(SandgateSandboxList* list);
        [DllImport(Library, CallingConvention = C)]
        internal static extern void sandgate_sandbox_renewal_free(SandgateSandboxRenewal* renewal);
        [DllImport(Library, CallingConvention = C)]
        internal static extern void sandgate_created_api_key_free(SandgateCreatedApiKey* key);
        [DllImport(Library, CallingConvention = C)]
        internal static extern void sandgate_api_key_list_free(SandgateApiKeyList* list);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_client_get_endpoint(ClientHandle client, SandgateStr sandboxId,
            long port, SandgateCallback callback, IntPtr userData, out CancelHandle cancel);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_client_get_signed_endpoint(ClientHandle client, SandgateStr sandboxId,
            long port, SandgateExpiry expiry, SandgateCallback callback, IntPtr userData, out CancelHandle cancel);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_client_create_api_key(ClientHandle client, SandgateStr name,
            byte hasExpiresAt, ulong expiresAt, SandgateCallback callback, IntPtr userData, out CancelHandle cancel);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_client_list_api_keys(ClientHandle client,
            SandgateCallback callback, IntPtr userData, out CancelHandle cancel);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_client_revoke_api_key(ClientHandle client, SandgateStr keyId,
            SandgateCallback callback, IntPtr userData, out CancelHandle cancel);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_client_create_sandbox(ClientHandle client, SandgateStr image,
            byte secureAccess, SandgateStrPair* metadata, UIntPtr metadataLen, byte hasTimeout, ulong timeoutSeconds,
            SandgateCallback callback, IntPtr userData, out CancelHandle cancel);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_client_get_sandbox(ClientHandle client, SandgateStr sandboxId,
            SandgateCallback callback, IntPtr userData, out CancelHandle cancel);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_client_list_sandboxes(ClientHandle client,
            SandgateCallback callback, IntPtr userData, out CancelHandle cancel);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_client_delete_sandbox(ClientHandle client, SandgateStr sandboxId,
            SandgateCallback callback, IntPtr userData, out CancelHandle cancel);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_client_renew_sandbox(ClientHandle client, SandgateStr sandboxId,
            SandgateExpiry expiry, SandgateCallback callback, IntPtr userData, out CancelHandle cancel);
        [DllImport(Library, CallingConvention = C)]
        internal static extern void sandgate_cancel(CancelHandle cancel);
        [DllImport(Library, CallingConvention = C)]
        internal static extern void sandgate_cancel_free(IntPtr cancel);

        // ------------------------------------------------------------ mock server
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_mock_start(SandgateStr routeMode, byte trustedHeaders, out MockHandle mock);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_mock_api_url(MockHandle mock, SandgateString* result);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_mock_domain(MockHandle mock, SandgateString* result);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_mock_gateway_url(MockHandle mock, SandgateString* result);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_mock_admin_key(MockHandle mock, SandgateString* result);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_mock_signing_keys(MockHandle mock, SandgateString* result);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_mock_route_mode(MockHandle mock, SandgateString* result);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_mock_now(MockHandle mock, out ulong now);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_mock_set_now(MockHandle mock, ulong now);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_mock_advance(MockHandle mock, long seconds);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_mock_set_faults(MockHandle mock, SandgateFaults* faults);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_mock_clear_faults(MockHandle mock);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_mock_reset(MockHandle mock);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_mock_requests(MockHandle mock, out SandgateMockRequestList* list);
        [DllImport(Library, CallingConvention = C)]
        internal static extern void sandgate_mock_request_list_free(SandgateMockRequestList* list);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_mock_stop(MockHandle mock);
        [DllImport(Library, CallingConvention = C)]
        internal static extern void sandgate_mock_free(IntPtr mock);

        // ------------------------------------------------------------ signing keys and routes
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_signing_keys_from_flag(SandgateStr flag, out SigningKeysHandle keys);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_signing_keys_from_toml(SandgateStr toml, out SigningKeysHandle keys);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_signing_keys_from_env(SandgateStr keys, SandgateStr activeKey, out SigningKeysHandle result);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_signing_keys_key_ids(SigningKeysHandle keys, SandgateString* result);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_signing_keys_active_key_id(SigningKeysHandle keys, SandgateString* result);
        [DllImport(Library, CallingConvention = C)]
        internal static extern void sandgate_signing_keys_free(IntPtr keys);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_signer_new(SigningKeysHandle keys, SandgateStr keyId, out SignerHandle signer);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_signer_key_id(SignerHandle signer, SandgateString* result);
        [DllImport(Library, CallingConvention = C)]
        internal static extern void sandgate_signer_free(IntPtr signer);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_sign(SignerHandle signer, SandgateStr sandboxId, long port,
            SandgateExpiry expiry, byte hasNow, ulong now, out SandgateSignedRoute* route);
        [DllImport(Library, CallingConvention = C)]
        internal static extern void sandgate_signed_route_free(SandgateSignedRoute* route);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_wildcard_host(SandgateStr token, SandgateStr baseDomain, SandgateString* result);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_verifier_new(SigningKeysHandle keys, out VerifierHandle verifier);
        [DllImport(Library, CallingConvention = C)]
        internal static extern void sandgate_verifier_free(IntPtr verifier);
        [DllImport(Library, CallingConvention = C)]
        internal static extern int sandgate_verify(VerifierHandle verifier, int form, byte* input, UIntPtr inputLen,
            byte hasNow, ulong now, SandgateVerified* result);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_verifier_decide(VerifierHandle verifier, SandgateStr ingressTo,
            SandgateStr host, SandgateStr path, SandgateStr secureAccess, SandgateStr accessToken,
            byte hasNow, ulong now, out SandgateDecision* decision);
        [DllImport(Library, CallingConvention = C)]
        internal static extern void sandgate_decision_free(SandgateDecision* decision);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_encode_expires_b36(ulong expires, SandgateString* result);
        [DllImport(Library, CallingConvention = C)]
        internal static extern SandgateError* sandgate_decode_expires_b36(SandgateStr b36, out ulong expires);
    }
}
