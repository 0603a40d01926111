// Command-line parsers: the first byte picks a daemon flag (N b B t n s o L S I E) or one of
// the ArgumentText parsers; the rest is the argument text. A configuration that validates must
// make a node.

func fuzzOptions(_ input: UnsafeRawBufferPointer) {
    var r = FuzzReader(input)
    let selector = r.byte()
    let text = r.bytes(r.remaining)
    let flags: StaticString = "NbBtnsoLSIE"
    let which = Int(selector) % 16
    if which < flags.utf8CodeUnitCount {
        var c = Configuration()
        c.prefixLength = 27  // keep N small unless -N changes it
        let flag = flags.utf8Start[which]
        do throws(ConfigError) {
            let known = try c.apply(flag: flag, argument: text)
            check(known, "known flag")
        } catch {
            check(error.message.utf8CodeUnitCount > 0, "error message")
            return
        }
        guard (try? c.validate()) != nil else { return }
        if c.blockCount <= 4096 {
            guard let node = try? Node(configuration: c, randomSeed: 1, now: 0) else { fail("validated configuration rejected") }
            check(node.blockCount == Int(c.blockCount), "block count")
        }
        return
    }
    switch which {
    case 11:
        _ = ArgumentText.atoi(text)
        let (_, end) = ArgumentText.strtoul(text, from: Int(selector >> 4) % (text.count + 1))
        check(end >= 0 && end <= text.count, "strtoul end")
    case 12:
        if let a = ArgumentText.parseIPv4(text) {
            var t = TextBuffer()
            t.append(a)
            let again = t.withBytes { ArgumentText.parseIPv4($0) }
            check(again == a, "IPv4 text round trip")
        }
    case 13:
        if let n = try? ArgumentText.parseNetwork(text) { check(n.length <= 32, "prefix length") }
    case 14:
        if let o = try? ArgumentText.parseOption(text) { check(o.payload.count <= 255, "option payload") }
    default:
        _ = ArgumentText.parseNodeID(text)
        _ = ArgumentText.parseByteOrder(text)
    }
}
