// The P/Invoke declarations of the sandgate C ABI (bindings/c/include/sandgate.h), and the
// structs it exchanges, field for field. The contract is docs/c-abi.md: every fallible
// function returns an owned SandgateError* (null on success); handles are SafeHandles
// (Handles.cs); result structs are read through pointers and freed with their free function.
using System;
using System.Runtime.InteropServices;

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
    internal struct SandgateGeneratedApiKey
    {
        public SandgateString Key;
        public SandgateString Prefix;
        public SandgateString Hash;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct SandgateHeader
    {
        public SandgateString Name;
        public SandgateString Value;
        public SandgateString RedactedValue;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct SandgateRoute
    {
        public SandgateString SandboxId;
        public ushort Port;
        public byte IsSigned;
        public ulong Expires;
        public uint KeyId;
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
    internal struct SandgatePair
    {
        public SandgateString Name;
        public SandgateString Value;
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
    internal struct SandgateSignedRouteParts
    {
        public SandgateStr Token;
        public SandgateStr SandboxId;
        public SandgateStr ExpiresB36;
        public SandgateStr Signature;
        public SandgateStr UriPrefix;
        public ulong Expires;
        public ushort Port;
        public uint KeyId;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct SandgateVerifiedRoute
    {
        public UIntPtr SandboxIdOffset;
        public UIntPtr SandboxIdLen;
        public ulong Expires;
        public ushort Port;
        public uint KeyId;
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

    /// <summary>Completion callback of every _async call; runs once on a sandgate runtime thread.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal unsafe delegate void SandgateCallback(IntPtr userData, SandgateError* error, IntPtr result);

    internal static unsafe class NativeMethods
    {
        /// <summary>The library name: libsandgate_ffi.so, libsandgate_ffi.dylib or sandgate_ffi.dll.</summary>
        internal const string Library = "sandgate_ffi";

        // ------------------------------------------------------------ errors and strings
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void sandgate_error_free(SandgateError* error);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void sandgate_string_free(SandgateString* s);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern byte* sandgate_version();

        // ------------------------------------------------------------ API keys
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_generate_api_key(SandgateStr prefix, out SandgateGeneratedApiKey* result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void sandgate_generated_api_key_free(SandgateGeneratedApiKey* key);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_hash_api_key(SandgateStr raw, SandgateString* result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_verify_api_key(SandgateStr key, SandgateStr storedHash,
            SandgateStr expiresAt, byte revoked, byte hasNow, ulong now, out byte valid);

        // ------------------------------------------------------------ client
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ClientOptionsHandle sandgate_client_options_new();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void sandgate_client_options_free(IntPtr options);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_client_options_domain(ClientOptionsHandle options, SandgateStr domain);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_client_options_protocol(ClientOptionsHandle options, SandgateStr protocol);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_client_options_api_key(ClientOptionsHandle options, SandgateStr apiKey);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_client_options_timeout_ms(ClientOptionsHandle options, ulong timeoutMs);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_client_options_header(ClientOptionsHandle options, SandgateStr name, SandgateStr value);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_client_options_retries(ClientOptionsHandle options, byte enabled);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_client_options_language(ClientOptionsHandle options, SandgateStr language);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_client_options_ignore_env(ClientOptionsHandle options, byte ignore);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_client_new(ClientOptionsHandle options, out ClientHandle client);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_client_base_url(ClientHandle client, SandgateString* result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void sandgate_client_free(IntPtr client);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void sandgate_endpoint_free(SandgateEndpoint* endpoint);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void sandgate_sandbox_free(SandgateSandbox* sandbox);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void sandgate_sandbox_list_free(SandgateSandboxList* list);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void sandgate_created_api_key_free(SandgateCreatedApiKey* key);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void sandgate_api_key_list_free(SandgateApiKeyList* list);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_client_get_endpoint_async(ClientHandle client, SandgateStr sandboxId,
            long port, SandgateCallback callback, IntPtr userData, out CancelHandle cancel);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_client_get_signed_endpoint_async(ClientHandle client, SandgateStr sandboxId,
            long port, ulong expires, SandgateCallback callback, IntPtr userData, out CancelHandle cancel);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_client_get_signed_endpoint_for_async(ClientHandle client, SandgateStr sandboxId,
            long port, ulong ttlSeconds, SandgateCallback callback, IntPtr userData, out CancelHandle cancel);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_client_create_api_key_async(ClientHandle client, SandgateStr name,
            byte hasExpiresAt, ulong expiresAt, SandgateCallback callback, IntPtr userData, out CancelHandle cancel);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_client_list_api_keys_async(ClientHandle client,
            SandgateCallback callback, IntPtr userData, out CancelHandle cancel);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_client_revoke_api_key_async(ClientHandle client, SandgateStr keyId,
            SandgateCallback callback, IntPtr userData, out CancelHandle cancel);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_client_create_sandbox_async(ClientHandle client, SandgateStr image,
            byte secureAccess, SandgateStrPair* metadata, UIntPtr metadataLen, byte hasTimeout, ulong timeoutSeconds,
            SandgateCallback callback, IntPtr userData, out CancelHandle cancel);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_client_get_sandbox_async(ClientHandle client, SandgateStr sandboxId,
            SandgateCallback callback, IntPtr userData, out CancelHandle cancel);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_client_list_sandboxes_async(ClientHandle client,
            SandgateCallback callback, IntPtr userData, out CancelHandle cancel);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_client_delete_sandbox_async(ClientHandle client, SandgateStr sandboxId,
            SandgateCallback callback, IntPtr userData, out CancelHandle cancel);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void sandgate_cancel(CancelHandle cancel);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void sandgate_cancel_free(IntPtr cancel);

        // ------------------------------------------------------------ mock server
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_mock_start(SandgateStr routeMode, byte trustedHeaders, out MockHandle mock);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_mock_api_url(MockHandle mock, SandgateString* result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_mock_domain(MockHandle mock, SandgateString* result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_mock_gateway_url(MockHandle mock, SandgateString* result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_mock_admin_key(MockHandle mock, SandgateString* result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_mock_signing_keys(MockHandle mock, SandgateString* result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_mock_route_mode(MockHandle mock, SandgateString* result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_mock_now(MockHandle mock, out ulong now);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_mock_set_now(MockHandle mock, ulong now);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_mock_advance(MockHandle mock, long seconds);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_mock_set_faults(MockHandle mock, SandgateFaults* faults);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_mock_clear_faults(MockHandle mock);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_mock_reset(MockHandle mock);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_mock_requests(MockHandle mock, out SandgateMockRequestList* list);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void sandgate_mock_request_list_free(SandgateMockRequestList* list);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_mock_stop(MockHandle mock);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void sandgate_mock_free(IntPtr mock);

        // ------------------------------------------------------------ signing keys and routes
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_signing_keys_from_flag(SandgateStr flag, out SigningKeysHandle keys);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_signing_keys_from_toml(SandgateStr toml, out SigningKeysHandle keys);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_signing_keys_from_env(SandgateStr keys, SandgateStr activeKey, out SigningKeysHandle result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_signing_keys_key_ids(SigningKeysHandle keys, SandgateString* result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_signing_keys_active_key_id(SigningKeysHandle keys, out uint keyId);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void sandgate_signing_keys_free(IntPtr keys);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_signer_new(SigningKeysHandle keys, SandgateStr keyId, out SignerHandle signer);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_signer_key_id(SignerHandle signer, out uint keyId);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_signer_sign(SignerHandle signer, SandgateStr sandboxId, long port,
            ulong expires, out SignedRouteHandle route);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_signed_route_parts(SignedRouteHandle route, out SandgateSignedRouteParts parts);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_wildcard_host(SandgateStr token, SandgateStr baseDomain, SandgateString* result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void sandgate_signed_route_free(IntPtr route);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void sandgate_signer_free(IntPtr signer);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_verifier_new(SigningKeysHandle keys, out VerifierHandle verifier);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void sandgate_verifier_free(IntPtr verifier);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_verifier_verify(VerifierHandle verifier, SandgateStr token,
            byte hasNow, ulong now, out SandgateVerifiedRoute route);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_verifier_decide(VerifierHandle verifier, SandgateStr ingressTo,
            SandgateStr host, SandgateStr path, SandgateStr secureAccess, SandgateStr accessToken,
            byte hasNow, ulong now, out SandgateDecision* decision);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void sandgate_decision_free(SandgateDecision* decision);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_encode_expires_b36(ulong expires, SandgateString* result);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern SandgateError* sandgate_decode_expires_b36(SandgateStr b36, out ulong expires);
    }
}
