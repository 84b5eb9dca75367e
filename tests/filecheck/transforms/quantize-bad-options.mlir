// Bad quantize options: one line on stderr (exit code 2), not a traceback.
// RUN: not ercc-opt %s -p 'quantize{act-bits=0}' 2>&1 | filecheck %s --check-prefix=WIDTH
// RUN: not ercc-opt %s -p 'quantize{act-int-bits=20}' 2>&1 | filecheck %s --check-prefix=INT
// RUN: not ercc-opt %s -p 'quantize{rounding=AP_FOO}' 2>&1 | filecheck %s --check-prefix=RND
// RUN: not ercc-opt %s -p 'quantize{overflow=SAT}' 2>&1 | filecheck %s --check-prefix=SAT
// RUN: not ercc-opt %s -p 'quantize{weight-bits=0}' 2>&1 | filecheck %s --check-prefix=W0

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = rnn.activation <relu> %x : tensor<4xf32> -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}

// WIDTH: ercc-opt: error: quantize: act-bits/act-int-bits: fixed-point width must be >= 1, got 0
// WIDTH-NOT: Traceback
// INT: ercc-opt: error: quantize: act-bits/act-int-bits: fixed-point integer bits must be within [0, width=16], got 20
// RND: ercc-opt: error: quantize: rounding/overflow: unknown quantization mode 'AP_FOO'
// SAT: ercc-opt: error: quantize: rounding/overflow: unknown overflow mode 'SAT'
// W0: ercc-opt: error: quantize: weight-bits: fixed-point width must be >= 1, got 0
