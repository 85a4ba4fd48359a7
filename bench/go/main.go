// Go micro-benchmark for bench/run: ns per sign and verify through the sandgate package, next
// to Go's own SHA-256 of the same signing input, and RSS before/after many verifies.
// Usage: go run . [ITERS] [MEMORY_ITERS]   (prints one JSON line)
package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	sandgate "github.com/sandgate/sandgate/bindings/go"
)

func arg(i int, def int) int {
	if len(os.Args) > i {
		if v, err := strconv.Atoi(os.Args[i]); err == nil {
			return v
		}
	}
	return def
}

func rssKiB() int {
	data, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			v, _ := strconv.Atoi(strings.Fields(line)[1])
			return v
		}
	}
	return 0
}

func nsPerCall(n int, f func()) float64 {
	best := 1e18
	for round := 0; round < 5; round++ {
		t := time.Now()
		for i := 0; i < n; i++ {
			f()
		}
		if ns := float64(time.Since(t).Nanoseconds()) / float64(n); ns < best {
			best = ns
		}
	}
	return best
}

func must[T any](v T, err error) T {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return v
}

func main() {
	iters, memoryIters := arg(1, 200000), arg(2, 1000000)
	secret := make([]byte, 32)
	for i := range secret {
		secret[i] = 7
	}
	keys := must(sandgate.SigningKeysFromFlag("a=" + base64.StdEncoding.EncodeToString(secret)))
	signer := must(sandgate.NewRouteSigner(keys, "a"))
	verifier := must(sandgate.NewRouteVerifier(keys))
	id, port, expires, now := "sbx-0a1b2c3d4e5f", 8080, uint64(2000000000), uint64(1900000000)
	route := must(signer.Sign(id, port, expires))
	token := route.Token

	// The signing input, built here the way any implementation must build it.
	canonical := []byte(fmt.Sprintf("v1\nshort\n%s\n%d\n%s\n", id, port, strconv.FormatUint(expires, 36)))
	inner := binary.BigEndian.AppendUint32(nil, uint32(len(secret)))
	inner = append(inner, secret...)
	inner = binary.BigEndian.AppendUint32(inner, uint32(len(canonical)))
	inner = append(inner, canonical...)

	sink := 0
	verifyNs := nsPerCall(iters, func() { sink += must(verifier.VerifyAt(token, now)).Port })
	signNs := nsPerCall(iters, func() {
		r := must(signer.Sign(id, port, expires))
		sink += len(r.Token)
	})
	shaNs := nsPerCall(iters, func() { s := sha256.Sum256(inner); sink += int(s[0]) })
	runtime.GC()
	before := rssKiB()
	for i := 0; i < memoryIters; i++ {
		sink += must(verifier.VerifyAt(token, now)).Port
	}
	runtime.GC()
	after := rssKiB()
	if sink == 0 {
		panic("nothing measured")
	}
	out, _ := json.Marshal(map[string]any{
		"language": "go", "verify_ns": verifyNs, "sign_ns": signNs, "sha256_ns": shaNs,
		"rss_before_kib": before, "rss_after_kib": after, "memory_verifies": memoryIters,
	})
	fmt.Println(string(out))
}
