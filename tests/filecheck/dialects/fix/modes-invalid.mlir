// RUN: ercc-opt %s --split-input-file --verify-diagnostics --parsing-diagnostics | filecheck %s

func.func @bad_quantization() attributes {q = #fix<quantization AP_ROUND>} {
  func.return
}
// CHECK: Expected `AP_TRN`, `AP_RND`, `AP_TRN_ZERO`, `AP_RND_ZERO`, `AP_RND_INF`, `AP_RND_MIN_INF`, or `AP_RND_CONV`.

// -----

func.func @bad_overflow() attributes {o = #fix<overflow AP_CLAMP>} {
  func.return
}
// CHECK: Expected `AP_WRAP`, `AP_SAT`, `AP_SAT_ZERO`, or `AP_SAT_SYM`.
