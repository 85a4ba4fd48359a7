// The sandgate flow in C# against the embedded mock server: mint a key as a user, create a
// secure sandbox with it, get a signed endpoint, GET /ping through the verifying gateway with
// HttpClient, verify the token locally, move the mock clock past the expiry, tamper with a
// token, revoke the key. Exits 1 at the first step that does not behave.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using Sandgate;

internal static class Flow
{
    private static readonly HttpClient Http = new HttpClient(new HttpClientHandler { UseProxy = false });

    private static int Main()
    {
        try
        {
            RunAsync().GetAwaiter().GetResult();
            Console.WriteLine("every step behaved");
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine("FAILED: " + e.Message);
            return 1;
        }
    }

    private static void Check(bool ok, string what)
    {
        if (!ok)
        {
            throw new Exception(what);
        }
    }

    /// <summary>GET endpoint.Url + path with the endpoint's headers (and another route token when given).</summary>
    private static async Task<Tuple<int, string, string>> GetAsync(Endpoint endpoint, string path, string token = null)
    {
        using (HttpRequestMessage request = endpoint.CreateRequest(path))
        {
            if (token != null)
            {
                request.Headers.Remove("OpenSandbox-Ingress-To");
                request.Headers.Add("OpenSandbox-Ingress-To", token);
            }
            using (HttpResponseMessage response = await Http.SendAsync(request))
            {
                IEnumerable<string> reasons;
                string reason = response.Headers.TryGetValues("X-Sandgate-Reason", out reasons) ? reasons.First() : null;
                string body = (await response.Content.ReadAsStringAsync()).Trim();
                return Tuple.Create((int)response.StatusCode, body, reason);
            }
        }
    }

    /// <summary>Flips the last hex digit of the token's signature.</summary>
    private static string Tamper(string token)
    {
        int i = token.Length - 2;
        return token.Substring(0, i) + (token[i] == '0' ? '1' : '0') + token.Substring(i + 1);
    }

    private static async Task RunAsync()
    {
        using (MockServer mock = MockServer.Start("header", trustedHeaders: true))
        {
            Console.WriteLine("mock server: API {0} · gateway {1}", mock.ApiUrl, mock.GatewayUrl);

            // 1. A user (from the trusted headers) mints a key; the raw key is shown this one time.
            var userOptions = new SandgateClientOptions { Domain = mock.Domain, IgnoreEnvironment = true };
            userOptions.Headers["X-OpenSandbox-User"] = "demo-user";
            userOptions.Headers["X-OpenSandbox-Roles"] = "operator";
            using (var asUser = new SandgateClient(userOptions))
            {
                CreatedApiKey key = await asUser.CreateApiKeyAsync("demo");
                Console.WriteLine("1. minted {0} (shown once: {1} characters)", key, key.Key.Length);

                // 2. With that key alone, create a sandbox that requires secure access.
                var options = new SandgateClientOptions
                {
                    Domain = mock.Domain,
                    ApiKey = key.Key, // a Secret goes wherever a key goes
                    Retry = new RetryOptions { MaxRetries = 3, InitialBackoff = TimeSpan.FromMilliseconds(100), MaxBackoff = TimeSpan.FromSeconds(2) },
                    IgnoreEnvironment = true,
                };
                using (var client = new SandgateClient(options))
                {
                    Sandbox sandbox = await client.CreateSandboxAsync("python:3.11", secureAccess: true);
                    Check(sandbox.Metadata["access.owner"] == "demo-user", "sandbox owner is " + sandbox.Metadata["access.owner"]);
                    Console.WriteLine("2. created secure sandbox {0} owned by {1}", sandbox.Id, sandbox.Metadata["access.owner"]);

                    // 3. A signed endpoint for port 8080 that stops working in 60 seconds.
                    Endpoint endpoint = await client.GetSignedEndpointAsync(sandbox.Id, 8080, TimeSpan.FromMinutes(1));
                    Check(endpoint.Route != null && endpoint.Route.IsSigned, "the endpoint carries no signed route");
                    string token = endpoint.Headers["OpenSandbox-Ingress-To"];
                    Console.WriteLine("3. signed endpoint {0}", endpoint);

                    // 4. Through the gateway with HttpClient.
                    var ping = await GetAsync(endpoint, "/ping?from=csharp");
                    Check(ping.Item1 == 200, "GET /ping answered " + ping.Item1 + ": " + ping.Item2);
                    Console.WriteLine("4. GET /ping through the gateway -> {0} {1}", ping.Item1, ping.Item2);

                    // 5. Verify the same token locally with the mock's signing keys.
                    using (SigningKeys keys = SigningKeys.FromFlag(mock.SigningKeys))
                    using (var verifier = new RouteVerifier(keys))
                    {
                        RouteInfo info = verifier.Verify(token, mock.Now());
                        Check(info.SandboxId == sandbox.Id && info.Port == 8080, "verified " + info);
                        // The gateway's whole decision for a secure sandbox: the signed route grants access.
                        string accessToken = (await client.GetEndpointAsync(sandbox.Id, 8080)).Headers["OpenSandbox-Secure-Access"];
                        AccessDecision decision = verifier.Decide(new AccessRequest { IngressTo = token }, accessToken, mock.Now());
                        decision.ThrowIfDenied();
                        Check(decision.Grant == Grant.Signature, "granted by " + decision.GrantCode);
                        Console.WriteLine("5. verified locally: {0}", info);

                        // 6. Past its expiry the same link is rejected, at the gateway and locally.
                        mock.Advance(61);
                        var expired = await GetAsync(endpoint, "/ping");
                        Check(expired.Item1 == 401 && expired.Item3 == "expired", "expired link answered " + expired.Item1 + " " + expired.Item2);
                        try
                        {
                            verifier.Verify(token, mock.Now());
                            Check(false, "the expired token verified locally");
                        }
                        catch (AccessDeniedException e) when (e.Reason == DenyReason.Expired)
                        {
                        }
                        Console.WriteLine("6. after the clock moved 61 s: {0} {1}", expired.Item1, expired.Item2);

                        // 7. A tampered token is rejected.
                        Endpoint fresh = await client.GetSignedEndpointAsync(sandbox.Id, 8080, TimeSpan.FromHours(1));
                        Check((await GetAsync(fresh, "/ping")).Item1 == 200, "the fresh link does not work");
                        string bad = Tamper(fresh.Headers["OpenSandbox-Ingress-To"]);
                        var tampered = await GetAsync(fresh, "/ping", bad);
                        Check(tampered.Item1 == 401 && tampered.Item3 == "bad_signature", "tampered token answered " + tampered.Item1 + " " + tampered.Item2);
                        try
                        {
                            verifier.Verify(bad, mock.Now());
                            Check(false, "the tampered token verified locally");
                        }
                        catch (AccessDeniedException e) when (e.Reason == DenyReason.BadSignature)
                        {
                        }
                        Console.WriteLine("7. tampered token {0}: {1} {2}", bad, tampered.Item1, tampered.Item2);
                    }

                    // 8. Revoke the key: it stops working.
                    await asUser.RevokeApiKeyAsync(key.Id);
                    try
                    {
                        await client.ListSandboxesAsync();
                        Check(false, "the revoked key still works");
                    }
                    catch (ApiException e) when (e.Status == 401)
                    {
                        Console.WriteLine("8. revoked key {0} -> {1}", key.Id, e.Message);
                    }
                }
            }
        }
    }
}
