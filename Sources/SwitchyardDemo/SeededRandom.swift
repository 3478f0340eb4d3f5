#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A pseudo-random generator that gives the same sequence for the same seed, on every platform and in
/// every run, so simulated markets can be replayed exactly.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        self.state = seed
    }

    /// The next 64 random bits (SplitMix64).
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// A uniform value in (0, 1], never zero, so its logarithm is finite.
    public mutating func nextUnit() -> Double {
        Double((next() >> 11) + 1) * 0x1.0p-53
    }

    /// A standard normal value (mean 0, variance 1).
    public mutating func nextNormal() -> Double {
        let radius = (-2 * log(nextUnit())).squareRoot()
        return radius * cos(2 * Double.pi * nextUnit())
    }

    /// An exponentially distributed value with the given mean: the gap between events of a Poisson
    /// process.
    public mutating func nextExponential(mean: Double) -> Double {
        -log(nextUnit()) * mean
    }
}
