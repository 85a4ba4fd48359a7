// One client operation of the C ABI as a Task. The ABI calls back exactly once, on a sandgate
// runtime thread; a GCHandle keeps the call's state alive until then, and a static delegate
// keeps the callback's function pointer valid for the life of the process. A
// CancellationToken is wired to the call's cancel handle, so cancelling aborts the request in
// the core (the callback then reports it, and the task ends as canceled).
using System;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Sandgate.Native;

namespace Sandgate
{
    internal abstract class AsyncCall
    {
        /// <summary>The callback passed to every client operation; never collected.</summary>
        internal static readonly SandgateCallback Callback = MakeCallback();

        private static unsafe SandgateCallback MakeCallback()
        {
            return OnComplete;
        }

        private static unsafe void OnComplete(IntPtr userData, SandgateError* error, IntPtr result)
        {
            // Nothing may throw across the native frame: every failure ends up in the task.
            AsyncCall call = null;
            try
            {
                MonoThreads.DoNotWaitAtExit();
                GCHandle gch = GCHandle.FromIntPtr(userData);
                call = (AsyncCall)gch.Target;
                gch.Free();
            }
            catch (Exception)
            {
                // A user_data that is not ours cannot happen; there is no one to tell.
            }
            if (call != null)
            {
                call.Complete(error, result);
            }
        }

        internal abstract unsafe void Complete(SandgateError* error, IntPtr result);
    }

    internal sealed class AsyncCall<T> : AsyncCall
    {
        private readonly TaskCompletionSource<T> tcs =
            new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Func<IntPtr, T> convert;
        private readonly CancellationToken token;
        private readonly object gate = new object();
        private GCHandle self;
        private bool handedOver; // Started ran: the GCHandle belongs to the callback or is freed
        private bool done;
        private CancelHandle cancel;
        private CancellationTokenRegistration registration;
        private bool registered;

        /// <summary>
        /// Prepares a call whose native result <paramref name="convert"/> copies and frees.
        /// Pass <see cref="AsyncCall.Callback"/> and <see cref="UserData"/> to the client
        /// function, then hand its outcome to <see cref="Started"/>.
        /// </summary>
        internal AsyncCall(Func<IntPtr, T> convert, CancellationToken token)
        {
            this.convert = convert;
            this.token = token;
            self = GCHandle.Alloc(this);
        }

        internal IntPtr UserData
        {
            get { return GCHandle.ToIntPtr(self); }
        }

        /// <summary>The task of a call the operation accepted (error null) or refused.</summary>
        internal unsafe Task<T> Started(SandgateError* error, CancelHandle cancelHandle)
        {
            handedOver = true;
            if (error != null)
            {
                // Refused: the callback will never run.
                self.Free();
                cancelHandle.Dispose();
                tcs.TrySetException(Errors.Take(error));
                return tcs.Task;
            }
            lock (gate)
            {
                if (done)
                {
                    cancelHandle.Dispose();
                    return tcs.Task;
                }
                cancel = cancelHandle;
            }
            if (token.CanBeCanceled)
            {
                CancellationTokenRegistration r = token.Register(s => ((AsyncCall<T>)s).RequestCancel(), this);
                lock (gate)
                {
                    if (!done)
                    {
                        registration = r;
                        registered = true;
                        return tcs.Task;
                    }
                }
                r.Dispose();
            }
            return tcs.Task;
        }

        /// <summary>The task of a call that could not be started (bad input, disposed client).</summary>
        internal Task<T> Failed(Exception e)
        {
            if (!handedOver)
            {
                handedOver = true;
                self.Free();
            }
            tcs.TrySetException(e);
            return tcs.Task;
        }

        private void RequestCancel()
        {
            CancelHandle h;
            lock (gate)
            {
                h = done ? null : cancel;
            }
            if (h == null)
            {
                return;
            }
            try
            {
                NativeMethods.sandgate_cancel(h);
            }
            catch (ObjectDisposedException)
            {
                // Completed meanwhile: nothing left to cancel.
            }
        }

        internal override unsafe void Complete(SandgateError* error, IntPtr result)
        {
            CancelHandle h;
            CancellationTokenRegistration r;
            bool hadRegistration;
            lock (gate)
            {
                done = true;
                h = cancel;
                cancel = null;
                r = registration;
                hadRegistration = registered;
                registered = false;
            }
            try
            {
                if (hadRegistration)
                {
                    r.Dispose(); // waits for a RequestCancel in progress
                }
                if (h != null)
                {
                    h.Dispose();
                }
            }
            catch (Exception)
            {
                // Releasing cannot fail in a way the caller could act on.
            }
            try
            {
                if (error != null)
                {
                    SandgateException e = Errors.Take(error);
                    if (e.Kind == ErrorKind.Cancelled && token.IsCancellationRequested)
                    {
                        tcs.TrySetCanceled(token);
                    }
                    else
                    {
                        tcs.TrySetException(e);
                    }
                }
                else
                {
                    tcs.TrySetResult(convert(result));
                }
            }
            catch (Exception e)
            {
                tcs.TrySetException(e);
            }
        }
    }

    /// <summary>
    /// A workaround for mono before 6.12 (Debian's mono is 6.8): a native thread that once
    /// called into managed code stays registered, and at exit mono waits for it to end, which
    /// sandgate's runtime threads never do, so the process would hang after Main returns.
    /// Mono skips threads flagged "don't manage" (MONO_THREAD_FLAG_DONT_MANAGE = 1, the flag
    /// its own helper threads carry); this sets it on the calling runtime thread, once. Later
    /// mono versions and .NET have no such field, and then this does nothing.
    /// </summary>
    internal static class MonoThreads
    {
        private const long DontManage = 1;
        private static readonly FieldInfo InternalThread;
        private static readonly FieldInfo Flags;

        [ThreadStatic]
        private static bool done;

        static MonoThreads()
        {
            if (Type.GetType("Mono.Runtime") == null)
            {
                return;
            }
            InternalThread = typeof(Thread).GetField("internal_thread", BindingFlags.NonPublic | BindingFlags.Instance);
            Flags = InternalThread == null ? null
                : InternalThread.FieldType.GetField("flags", BindingFlags.NonPublic | BindingFlags.Instance);
            if (Flags != null && Flags.FieldType != typeof(IntPtr))
            {
                Flags = null;
            }
        }

        internal static void DoNotWaitAtExit()
        {
            if (done || Flags == null)
            {
                return;
            }
            done = true;
            try
            {
                object thread = InternalThread.GetValue(Thread.CurrentThread);
                long flags = ((IntPtr)Flags.GetValue(thread)).ToInt64();
                Flags.SetValue(thread, new IntPtr(flags | DontManage));
            }
            catch (Exception)
            {
                // A mono without these internals: nothing to work around.
            }
        }
    }
}
