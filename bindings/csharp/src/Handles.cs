// SafeHandle wrappers for every opaque sandgate handle. The runtime counts references across
// P/Invoke calls, so a handle disposed while a call uses it is freed when that call returns,
// and each native free function runs exactly once (disposing twice is harmless).
using System;
using System.Runtime.InteropServices;

namespace Sandgate.Native
{
    internal abstract class SandgateHandle : SafeHandle
    {
        protected SandgateHandle() : base(IntPtr.Zero, true)
        {
        }

        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        /// <summary>Throws ObjectDisposedException naming <paramref name="owner"/> once disposed.</summary>
        internal void ThrowIfClosed(string owner)
        {
            if (IsClosed || IsInvalid)
            {
                throw new ObjectDisposedException(owner);
            }
        }
    }

    internal sealed class SigningKeysHandle : SandgateHandle
    {
        protected override bool ReleaseHandle()
        {
            NativeMethods.sandgate_signing_keys_free(handle);
            return true;
        }
    }

    internal sealed class SignerHandle : SandgateHandle
    {
        protected override bool ReleaseHandle()
        {
            NativeMethods.sandgate_signer_free(handle);
            return true;
        }
    }

    internal sealed class VerifierHandle : SandgateHandle
    {
        protected override bool ReleaseHandle()
        {
            NativeMethods.sandgate_verifier_free(handle);
            return true;
        }
    }

    internal sealed class ClientHandle : SandgateHandle
    {
        protected override bool ReleaseHandle()
        {
            NativeMethods.sandgate_client_free(handle);
            return true;
        }
    }

    internal sealed class CancelHandle : SandgateHandle
    {
        protected override bool ReleaseHandle()
        {
            NativeMethods.sandgate_cancel_free(handle);
            return true;
        }
    }

    internal sealed class MockHandle : SandgateHandle
    {
        protected override bool ReleaseHandle()
        {
            NativeMethods.sandgate_mock_free(handle);
            return true;
        }
    }

    internal sealed class GatewayHandle : SandgateHandle
    {
        protected override bool ReleaseHandle()
        {
            NativeMethods.sandgate_gateway_free(handle);
            return true;
        }
    }
}
