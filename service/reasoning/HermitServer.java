import java.io.BufferedReader;
import java.io.File;
import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.util.HashSet;
import java.util.Set;

import org.semanticweb.HermiT.Configuration;
import org.semanticweb.HermiT.Reasoner;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.OWLAxiom;
import org.semanticweb.owlapi.model.OWLClass;
import org.semanticweb.owlapi.model.OWLDataFactory;
import org.semanticweb.owlapi.model.OWLIndividual;
import org.semanticweb.owlapi.model.OWLLiteral;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.reasoner.InconsistentOntologyException;

/**
 * HermiT kept warm. Reads one request a line and answers "consistent", "inconsistent", "ok" or "error ...":
 *   FILE         an N-Triples file of ontology and data together;
 *   tbox FILE    an N-Triples file of the ontology, held for the requests that follow;
 *   classify     the held ontology's unsatisfiable classes: "unsatisfiable IRI ..." (none: "unsatisfiable"),
 *                or "inconsistent";
 *   abox FILE    data statements, one a line, tab-separated, asked together with the held ontology:
 *                "C ind class", "O prop subject object", "D prop subject lexical datatype-or-@lang",
 *                "S a b" (sameAs), "F a b" (differentFrom); an individual "_:id" is anonymous; a lexical
 *                form escapes backslash, tab, line feed and carriage return as \\ \t \n \r.
 * The abox form exists because the ontology is the same at every write: parsing it (and its data through the
 * OWL API's RDF consumer) cost more than HermiT's own test.
 */
public class HermitServer {
    private static Set<OWLAxiom> tbox;

    public static void main(String[] arguments) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
        String line;
        while ((line = in.readLine()) != null) {
            String answer;
            try {
                if (line.startsWith("tbox ")) {
                    OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
                    tbox = manager.loadOntologyFromOntologyDocument(new File(line.substring(5))).getAxioms();
                    answer = "ok";
                } else if (line.equals("classify")) {
                    answer = unsatisfiable(OWLManager.createOWLOntologyManager().createOntology(held()));
                } else if (line.startsWith("abox ")) {
                    OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
                    OWLOntology ontology = manager.createOntology(held());
                    manager.addAxioms(ontology, abox(manager.getOWLDataFactory(), line.substring(5)));
                    answer = consistency(ontology);
                } else {
                    OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
                    answer = consistency(manager.loadOntologyFromOntologyDocument(new File(line)));
                }
            } catch (InconsistentOntologyException inconsistent) {
                answer = "inconsistent";
            } catch (Throwable failure) {
                answer = "error " + failure.toString().replace('\n', ' ');
            }
            System.out.println(answer);
            System.out.flush();
        }
    }

    private static Set<OWLAxiom> held() {
        if (tbox == null) {
            throw new IllegalStateException("no ontology held: send tbox FILE first");
        }
        return tbox;
    }

    private static String unsatisfiable(OWLOntology ontology) {
        Reasoner reasoner = new Reasoner(new Configuration(), ontology);
        try {
            if (!reasoner.isConsistent()) {
                return "inconsistent";
            }
            StringBuilder answer = new StringBuilder("unsatisfiable");
            for (OWLClass unsatisfiable : reasoner.getUnsatisfiableClasses().getEntitiesMinusBottom()) {
                answer.append(' ').append(unsatisfiable.getIRI().toString());
            }
            return answer.toString();
        } finally {
            reasoner.dispose();
        }
    }

    private static String consistency(OWLOntology ontology) {
        Reasoner reasoner = new Reasoner(new Configuration(), ontology);
        try {
            return reasoner.isConsistent() ? "consistent" : "inconsistent";
        } finally {
            reasoner.dispose();
        }
    }

    private static Set<OWLAxiom> abox(OWLDataFactory factory, String file) throws Exception {
        Set<OWLAxiom> axioms = new HashSet<OWLAxiom>();
        BufferedReader lines = new BufferedReader(new InputStreamReader(new FileInputStream(file), "UTF-8"));
        try {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.isEmpty()) {
                    continue;
                }
                String[] part = line.split("\t", -1);
                switch (part[0]) {
                    case "C":
                        axioms.add(factory.getOWLClassAssertionAxiom(factory.getOWLClass(IRI.create(part[2])),
                                individual(factory, part[1])));
                        break;
                    case "O":
                        axioms.add(factory.getOWLObjectPropertyAssertionAxiom(
                                factory.getOWLObjectProperty(IRI.create(part[1])),
                                individual(factory, part[2]), individual(factory, part[3])));
                        break;
                    case "D":
                        axioms.add(factory.getOWLDataPropertyAssertionAxiom(
                                factory.getOWLDataProperty(IRI.create(part[1])),
                                individual(factory, part[2]), literal(factory, unescape(part[3]), part[4])));
                        break;
                    case "S":
                        axioms.add(factory.getOWLSameIndividualAxiom(individual(factory, part[1]), individual(factory, part[2])));
                        break;
                    case "F":
                        axioms.add(factory.getOWLDifferentIndividualsAxiom(individual(factory, part[1]), individual(factory, part[2])));
                        break;
                    default:
                        throw new IllegalArgumentException("unknown statement kind in " + line);
                }
            }
        } finally {
            lines.close();
        }
        return axioms;
    }

    private static OWLIndividual individual(OWLDataFactory factory, String term) {
        return term.startsWith("_:") ? factory.getOWLAnonymousIndividual(term.substring(2))
                                     : factory.getOWLNamedIndividual(IRI.create(term));
    }

    private static OWLLiteral literal(OWLDataFactory factory, String lexical, String type) {
        if (type.startsWith("@")) {
            return factory.getOWLLiteral(lexical, type.substring(1));
        }
        return factory.getOWLLiteral(lexical, factory.getOWLDatatype(IRI.create(type)));
    }

    private static String unescape(String text) {
        if (text.indexOf('\\') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                char next = text.charAt(++i);
                out.append(next == 't' ? '\t' : next == 'n' ? '\n' : next == 'r' ? '\r' : next);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
