;; The FIR resampler's two hot loops (fir-resampler.ts) with 128-bit SIMD: two float64 lanes
;; carry two of the scalar code's accumulators, so every lane does exactly the multiplies and
;; adds the scalar loop does, in the same order, and the sums are bit-identical to it. Sums are
;; written out as float64; rounding to int16 stays in JavaScript, whose Math.round differs from
;; f64.nearest on halves.
;;
;; Memory layout is the caller's: byte offsets of the work window (float64 samples, history
;; first), the taps and the output sums. Compiled to fir-kernels-wasm.ts by
;; `npm run build:wasm`; a test checks the two match.
(module
  (memory (export "memory") 1)

  ;; Decimate (24→8, 16→8 kHz): out[o] = Σ taps[q] · (w[first + q] + w[first + last − q]) over
  ;; q < half, accumulated as s0..s3 over q ≡ 0..3 (mod 4) and summed (s0 + s1) + (s2 + s3).
  ;; Lanes: A = (s0, s1), B = (s2, s3). Returns the number of outputs; the next window start is
  ;; first + count × down, which the caller computes.
  (func (export "decimate")
    (param $work i32) (param $taps i32) (param $half i32) (param $last i32) (param $down i32)
    (param $first i32) (param $length i32) (param $out i32) (result i32)
    (local $count i32) (local $q i32) (local $fwd i32) (local $mir i32) (local $t i32)
    (local $a v128) (local $b v128)
    (block $done
      (loop $outputs
        (br_if $done (i32.ge_s (local.get $first) (local.get $length)))
        (local.set $a (v128.const f64x2 0 0))
        (local.set $b (v128.const f64x2 0 0))
        ;; Byte addresses: fwd at w[first + q], mir at w[first + last − q − 1] (the pair below the
        ;; mirror sample, loaded and then swapped), taps at taps[q].
        (local.set $fwd (i32.add (local.get $work) (i32.shl (local.get $first) (i32.const 3))))
        (local.set $mir (i32.add (local.get $work)
          (i32.shl (i32.sub (i32.add (local.get $first) (local.get $last)) (i32.const 1)) (i32.const 3))))
        (local.set $t (local.get $taps))
        (local.set $q (i32.const 0))
        (block $taps_done
          (loop $tap_groups
            (br_if $taps_done (i32.ge_s (local.get $q) (local.get $half)))
            ;; A += taps[q, q+1] · (w[f+q, f+q+1] + w[m−q, m−q−1])
            (local.set $a (f64x2.add (local.get $a)
              (f64x2.mul (v128.load (local.get $t))
                (f64x2.add (v128.load (local.get $fwd))
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7
                    (v128.load (local.get $mir)) (v128.load (local.get $mir)))))))
            ;; B += taps[q+2, q+3] · (w[f+q+2, f+q+3] + w[m−q−2, m−q−3])
            (local.set $b (f64x2.add (local.get $b)
              (f64x2.mul (v128.load offset=16 (local.get $t))
                (f64x2.add (v128.load offset=16 (local.get $fwd))
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7
                    (v128.load (i32.sub (local.get $mir) (i32.const 16)))
                    (v128.load (i32.sub (local.get $mir) (i32.const 16))))))))
            (local.set $q (i32.add (local.get $q) (i32.const 4)))
            (local.set $t (i32.add (local.get $t) (i32.const 32)))
            (local.set $fwd (i32.add (local.get $fwd) (i32.const 32)))
            (local.set $mir (i32.sub (local.get $mir) (i32.const 32)))
            (br $tap_groups)))
        (f64.store
          (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 3)))
          (f64.add
            (f64.add (f64x2.extract_lane 0 (local.get $a)) (f64x2.extract_lane 1 (local.get $a)))
            (f64.add (f64x2.extract_lane 0 (local.get $b)) (f64x2.extract_lane 1 (local.get $b)))))
        (local.set $count (i32.add (local.get $count) (i32.const 1)))
        (local.set $first (i32.add (local.get $first) (local.get $down)))
        (br $outputs)))
    (local.get $count))

  ;; Interpolate by two (8→16 kHz): per input window, with pair taps interleaved p, m per j,
  ;;   sum0 += p_j (a0 + b0), diff0 += m_j (a0 − b0)   (j even)
  ;;   sum1 += p_j (a1 + b1), diff1 += m_j (a1 − b1)   (j + 1)
  ;; where a = w[first + j], b = w[first + last − j]. Lanes: V0 = (sum0, diff0), V1 = (sum1, diff1);
  ;; (a + b, a − b) is splat(a) + (b, −b), and a − b is a + (−b) exactly. Writes the pair
  ;; (sum, diff) = V0 + V1 per input; the caller forms sum + diff and sum − diff.
  (func (export "interpolateByTwo")
    (param $work i32) (param $taps i32) (param $half i32) (param $last i32)
    (param $length i32) (param $out i32)
    (local $first i32) (local $j i32) (local $fwd i32) (local $mir i32) (local $t i32)
    (local $v0 v128) (local $v1 v128) (local $negate_second v128)
    ;; Flips the sign bit of lane 1 only.
    (local.set $negate_second (v128.const i64x2 0 0x8000000000000000))
    (block $done
      (loop $inputs
        (br_if $done (i32.ge_s (local.get $first) (local.get $length)))
        (local.set $v0 (v128.const f64x2 0 0))
        (local.set $v1 (v128.const f64x2 0 0))
        (local.set $fwd (i32.add (local.get $work) (i32.shl (local.get $first) (i32.const 3))))
        (local.set $mir (i32.add (local.get $work)
          (i32.shl (i32.add (local.get $first) (local.get $last)) (i32.const 3))))
        (local.set $t (local.get $taps))
        (local.set $j (i32.const 0))
        (block $taps_done
          (loop $tap_pairs
            (br_if $taps_done (i32.ge_s (local.get $j) (local.get $half)))
            (local.set $v0 (f64x2.add (local.get $v0)
              (f64x2.mul (v128.load (local.get $t))
                (f64x2.add (f64x2.splat (f64.load (local.get $fwd)))
                  (v128.xor (f64x2.splat (f64.load (local.get $mir))) (local.get $negate_second))))))
            (local.set $v1 (f64x2.add (local.get $v1)
              (f64x2.mul (v128.load offset=16 (local.get $t))
                (f64x2.add (f64x2.splat (f64.load offset=8 (local.get $fwd)))
                  (v128.xor (f64x2.splat (f64.load (i32.sub (local.get $mir) (i32.const 8)))) (local.get $negate_second))))))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (local.set $t (i32.add (local.get $t) (i32.const 32)))
            (local.set $fwd (i32.add (local.get $fwd) (i32.const 16)))
            (local.set $mir (i32.sub (local.get $mir) (i32.const 16)))
            (br $tap_pairs)))
        (v128.store
          (i32.add (local.get $out) (i32.shl (local.get $first) (i32.const 4)))
          (f64x2.add (local.get $v0) (local.get $v1)))
        (local.set $first (i32.add (local.get $first) (i32.const 1)))
        (br $inputs)))))
