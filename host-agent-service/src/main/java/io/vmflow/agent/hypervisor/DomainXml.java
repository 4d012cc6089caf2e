package io.vmflow.agent.hypervisor;

import java.io.StringReader;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/**
 * The few facts vmflow reads from a libvirt domain XML: virtualization type ('kvm', 'qemu' for TCG),
 * name, UUID, memory, the CPU element.
 */
public record DomainXml(String type, String name, String uuid, long memoryBytes, String cpuXml) {

    /** Whether the guest runs on the host CPU (hardware virtualization), so the host CPU must fit it. */
    public boolean usesHostCpu() {
        return !"qemu".equals(type);
    }

    public static DomainXml parse(String xml) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setExpandEntityReferences(false);
            Document d = f.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
            Element root = d.getDocumentElement();
            String name = text(root, "name");
            String uuid = text(root, "uuid");
            long memory = 0;
            NodeList mem = root.getElementsByTagName("memory");
            if (mem.getLength() > 0) {
                Element m = (Element) mem.item(0);
                memory = toBytes(Long.parseLong(m.getTextContent().trim()), m.getAttribute("unit"));
            }
            String cpu = null;
            NodeList cpus = root.getElementsByTagName("cpu");
            if (cpus.getLength() > 0
                    && ((Element) cpus.item(0)).getElementsByTagName("model").getLength() > 0) {
                var t = javax.xml.transform.TransformerFactory.newInstance().newTransformer();
                t.setOutputProperty(javax.xml.transform.OutputKeys.OMIT_XML_DECLARATION, "yes");
                var w = new java.io.StringWriter();
                t.transform(
                        new javax.xml.transform.dom.DOMSource(cpus.item(0)),
                        new javax.xml.transform.stream.StreamResult(w));
                cpu = w.toString();
            }
            return new DomainXml(root.getAttribute("type"), name, uuid, memory, cpu);
        } catch (Exception e) {
            throw new IllegalArgumentException("not a libvirt domain XML: " + e.getMessage(), e);
        }
    }

    private static String text(Element root, String tag) {
        NodeList l = root.getElementsByTagName(tag);
        return l.getLength() == 0 ? null : l.item(0).getTextContent().trim();
    }

    static long toBytes(long value, String unit) {
        String u = unit == null || unit.isEmpty() ? "KiB" : unit;
        return switch (u) {
            case "b", "bytes" -> value;
            case "KB" -> value * 1000;
            case "k", "KiB" -> value << 10;
            case "MB" -> value * 1000_000;
            case "M", "MiB" -> value << 20;
            case "GB" -> value * 1000_000_000;
            case "G", "GiB" -> value << 30;
            default -> throw new IllegalArgumentException("unknown memory unit " + u);
        };
    }
}
