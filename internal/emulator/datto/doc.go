// Package datto is a local emulator of the Datto RMM API v2 as a device
// inventory sync uses it. It implements the documented semantics rather than
// replaying canned answers, so a connector tested against it meets the same
// paging, token and throttling behaviour it meets on a real platform.
//
// What it serves (paths as on https://{platform}-api.centrastage.net):
//
//   - POST /auth/oauth/token: the password grant with the fixed public
//     client (HTTP Basic "public-client:public"), the API key as username
//     and the API secret as password. The answer carries access_token,
//     token_type, expires_in (100 hours by default), scope and jti. A wrong
//     key or secret gets 400 {"error":"invalid_grant",...}; a wrong client
//     401 {"error":"invalid_client",...}.
//   - GET /api/v2/account, /api/v2/system/pagination and
//     /api/v2/system/request_rate.
//   - GET /api/v2/account/sites and /api/v2/account/devices (and
//     /api/v2/site/{siteUid}/devices): page-numbered listings, page from 0,
//     max at most 250, wrapped as {"pageDetails":{"count","totalCount",
//     "prevPageUrl","nextPageUrl"},"sites"|"devices":[...]}; nextPageUrl is
//     an absolute URL and null on the last page. Timestamps are epoch
//     milliseconds.
//   - GET /api/v2/audit/device/{deviceUid}: systemInfo, bios (serial
//     number), baseBoard, nics, logicalDisks, processors, physicalMemory;
//     /api/v2/audit/esxihost/{deviceUid} (systemInfo.serviceTag, nics,
//     processors, physicalMemory, datastores) and
//     /api/v2/audit/printer/{deviceUid} (snmpInfo.snmpSerial, systemInfo,
//     nics) for those classes. An audit of the wrong class is a 400.
//
// Throttling follows Datto's published behaviour: the read requests of the
// account are counted over a rolling window (600 in 60 s by default); past
// 90 % of the quota every answer is delayed (one second by default); past
// the quota a request gets 429 with Retry-After (seconds until the oldest
// request leaves the window); a client that keeps sending while throttled
// (Options.BlockAfter refusals within one window) has its IP blocked: 403
// with a JSON body naming the block and a Retry-After, for
// Options.BlockDuration. The exact body of the IP-block 403 and of error
// responses are not published; the emulator uses Spring-style bodies
// ({"timestamp","status","error","message","path"}) and OAuth bodies for
// token errors.
//
// Tests drive the account with Generate and the mutation methods (AddSite,
// AddDevice, UpdateDevice, ChangeAudit, MoveDevice, RemoveDevice), and
// inject faults by path with Inject. All methods are safe to call while
// requests are being served.
//
// Not a public API: the emulator exists for this module's tests, benchmarks
// and demo.
package datto
